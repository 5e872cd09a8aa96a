"""Check for Java and Maven, and fetch the Kafka jars once per user into a cache."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from shipwatch.broker.errors import BrokerError, MissingToolError

MIN_JAVA = 17
# Kafka uses slf4j 1.x; its log4j binding must match the log4j-core Kafka pulls in at runtime.
LOG4J_FOR_KAFKA = {"4.1.1": "2.24.3"}
MVN_TIMEOUT = 900.0
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
Which = Callable[[str], str | None]
_MVN_ERROR = re.compile(r"\[ERROR\] (?!Re-run|To see|For more|\[Help)\S")


def find_java(which: Which = shutil.which) -> tuple[str | None, int | None]:
    """The java executable (JAVA_HOME first, then PATH) and its major version."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home, "bin", "java") if java_home else None
    java = str(candidate) if candidate and candidate.is_file() else which("java")
    if java is None:
        return None, None
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return java, None
    # `java -version` writes to stderr: `openjdk version "17.0.15"`, or `"1.8.0_292"` for Java 8.
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if match is None:
        return java, None
    major = int(match.group(1))
    return java, int(match.group(2) or 0) if major == 1 else major


def require_tools(*, need_mvn: bool, which: Which = shutil.which) -> str:
    """The java to run; MissingToolError naming whatever is missing or too old."""
    java, major = find_java(which)
    missing = []
    if java is None:
        missing.append(f"Java {MIN_JAVA}+ (no `java` on PATH or in JAVA_HOME)")
    elif major is None or major < MIN_JAVA:
        found = "an unknown version" if major is None else f"Java {major}"
        missing.append(f"Java {MIN_JAVA}+ ({java} is {found})")
    if need_mvn and which("mvn") is None:
        missing.append("Maven (`mvn`, used once to download the Kafka jars)")
    if missing or java is None:
        raise MissingToolError(missing)
    return java


def cache_root() -> Path:
    """The per-user jar cache: $SHIPWATCH_KAFKA_CACHE or $XDG_CACHE_HOME/shipwatch/kafka."""
    override = os.environ.get("SHIPWATCH_KAFKA_CACHE")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "shipwatch" / "kafka"


def lib_dir(version: str) -> Path:
    """The folder that holds (or will hold) the jars of one Kafka version."""
    return cache_root() / version / "lib"


def _stamp(version: str) -> Path:
    return cache_root() / version / "complete.stamp"


def jars_ready(version: str) -> bool:
    """Whether a finished download of this Kafka version is in the cache."""
    kafka_jar = lib_dir(version) / f"kafka_2.13-{version}.jar"
    return _stamp(version).is_file() and kafka_jar.is_file()


def ensure_jars(version: str) -> Path:
    """Download the jars of this Kafka version unless cached; returns the lib folder."""
    if jars_ready(version):
        return lib_dir(version)
    folder = cache_root() / version
    folder.mkdir(parents=True, exist_ok=True)
    # Concurrent starts serialise here; the loser finds the stamp and skips the download.
    with open(folder / "download.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not jars_ready(version):
            print(f"Downloading Kafka {version} jars into {folder} (once, about 45 MB)...")
            _download(version, folder)
    return lib_dir(version)


def _pom(kafka: str, binding: tuple[str, str] | None) -> str:
    extra = (
        f"<dependency><groupId>org.apache.logging.log4j</groupId>"
        f"<artifactId>{binding[0]}</artifactId><version>{binding[1]}</version></dependency>"
        if binding
        else ""
    )
    return f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>shipwatch</groupId><artifactId>kafka-runtime</artifactId><version>{kafka}</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
      <version>{kafka}</version></dependency>
    {extra}
  </dependencies>
</project>
"""


def _mvn(folder: Path, *args: str) -> None:
    cmd = ["mvn", "-B", "-q", "-f", str(folder / "pom.xml"), *args]
    try:
        done = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=MVN_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise BrokerError(f"`{' '.join(cmd)}` took over {MVN_TIMEOUT:.0f} s") from exc
    if done.returncode != 0:
        lines = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr).splitlines()
        # Maven pads its one useful line with boilerplate about -e, -X and wiki links.
        errors = [ln for ln in lines if _MVN_ERROR.match(ln)][:3]
        raise BrokerError(
            f"Maven could not fetch the Kafka jars (exit {done.returncode}; is kafka_version a "
            f"released Kafka version and Maven Central reachable?):\n"
            + "\n".join(errors or lines[-30:])
        )


def _binding(version: str, folder: Path) -> tuple[str, str]:
    known = LOG4J_FOR_KAFKA.get(version)
    if known:
        return "log4j-slf4j-impl", known
    # Unknown Kafka release: ask Maven what it resolves rather than guess.
    (folder / "pom.xml").write_text(_pom(version, None))
    listing = folder / "dependencies.txt"
    _mvn(folder, f"{DEPENDENCY_PLUGIN}:list", "-DincludeScope=runtime", f"-DoutputFile={listing}")
    text = listing.read_text()
    log4j = re.search(r"org\.apache\.logging\.log4j:log4j-core:jar:([^:\s]+)", text)
    slf4j = re.search(r"org\.slf4j:slf4j-api:jar:(\d+)\.", text)
    if log4j is None or slf4j is None:
        raise BrokerError(
            f"Kafka {version} does not pull in log4j-core and slf4j-api, so shipwatch cannot "
            f"pick a logging binding; tested versions: {', '.join(sorted(LOG4J_FOR_KAFKA))}."
        )
    artifact = "log4j-slf4j-impl" if slf4j.group(1) == "1" else "log4j-slf4j2-impl"
    return artifact, log4j.group(1)


def _download(version: str, folder: Path) -> None:
    _stamp(version).unlink(missing_ok=True)
    shutil.rmtree(folder / "lib", ignore_errors=True)  # a half-finished earlier attempt
    binding = _binding(version, folder)
    (folder / "pom.xml").write_text(_pom(version, binding))
    _mvn(
        folder,
        f"{DEPENDENCY_PLUGIN}:copy-dependencies",
        f"-DoutputDirectory={folder / 'lib'}",
        "-DincludeScope=runtime",
    )
    if not (folder / "lib" / f"kafka_2.13-{version}.jar").is_file():
        raise BrokerError(f"Maven finished but {folder / 'lib'} has no kafka_2.13-{version}.jar")
    _stamp(version).write_text(f"kafka {version} with {binding[0]} {binding[1]}\n")
