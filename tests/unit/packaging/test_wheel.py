"""What an installed shipwatch puts into site-packages: only names that are clearly its own."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
OWNERS_NAMES = {"streams", "geofences", "alerts"}  # fixed at the top by the project's owner
LOCAL_STATE = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "out")


def test_the_wheel_adds_only_shipwatch_and_the_three_fixed_names(tmp_path: Path) -> None:
    # Built from a copy: setuptools builds in the tree, and a stale build/ would leak into it.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*LOCAL_STATE))
    wheel_command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet"]
    subprocess.run([*wheel_command, "-w", str(tmp_path), str(source)], check=True, timeout=300)
    [wheel] = tmp_path.glob("shipwatch-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {
        name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")
    }
    assert top == {"shipwatch"} | OWNERS_NAMES
    # The data the pages and scenarios read at run time travels with the code.
    assert "shipwatch/web/static/index.html" in names
    assert "shipwatch/scenarios/data/reference.csv" in names
    assert "geofences/fences/vostochny.geojson" in names
    assert not [n for n in names if n.startswith(("tests/", "bench/"))]


def test_the_tools_read_the_same_packages_as_the_wheel() -> None:
    """pyproject.toml names the packages for setuptools, mypy and import-linter alike."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found = {
        p.rstrip("*").rstrip(".")
        for p in config["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    assert set(config["tool"]["mypy"]["files"]) == found
    assert set(config["tool"]["importlinter"]["root_packages"]) == found
    assert found == {"shipwatch"} | OWNERS_NAMES


def test_python_dash_m_shipwatch_runs_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "shipwatch", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: shipwatch")
    assert "detect" in done.stdout and "worker" in done.stdout
