"""The pages' files (live, vessel and search): what they load exists and is ours, nothing
inline, one top bar, no data parsed as HTML, Leaflet vendored whole with its licence."""

from __future__ import annotations

import fnmatch
import hashlib
import re
import tomllib
from pathlib import Path

import pytest

from shipwatch.web import pages as web

ROOT = Path(__file__).resolve().parents[4]
STATIC = ROOT / "shipwatch" / "web" / "static"
LEAFLET = STATIC / "vendor" / "leaflet"
PAGES = ("index.html", "vessel.html", "search.html")
# Every script of ours: the pages' modules and all they import (live/ is the live page's).
SCRIPTS = tuple(
    sorted(
        p.relative_to(STATIC).as_posix()
        for p in STATIC.rglob("*.js")
        if "vendor" not in p.relative_to(STATIC).parts
    )
)
OURS = (*PAGES, *SCRIPTS, "vessel.css", "style.css", "map.css")
SVG_NAMESPACE = "http://www.w3.org"  # an identifier, not a resource
TOP_BAR = (
    'form.action = "/search"',
    'form.method = "get"',
    'input.name = "q"',
    'input.placeholder = "name, MMSI, IMO or call sign"',
    'el("a", "back", "← live alerts")',
)


def _text(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def _references(html: str) -> list[str]:
    return re.findall(r'\b(?:src|href|action)="([^"]*)"', html)


@pytest.mark.parametrize("page", PAGES)
def test_a_page_loads_only_our_static_files_by_absolute_url(page: str) -> None:
    served = web.static_files()
    references = _references(_text(page))
    assert references
    for url in references:
        if url.startswith("/static/"):
            assert url.removeprefix("/static/") in served, f"{page}: {url} is not served"
        else:
            # Links to our pages and the empty favicon; never another site, never relative
            # (the vessel page lives at /vessels/<mmsi>: "static/x" would miss).
            assert url in {"/", "/search", "data:,"}, f"{page} refers to {url}"


@pytest.mark.parametrize("page", PAGES)
def test_a_page_has_no_inline_script_or_style(page: str) -> None:
    html = _text(page)
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all('src="/static/' in tag for tag in scripts), scripts
    # Ours are modules (they import what they share); only vendored Leaflet is a classic one.
    assert all('type="module"' in tag for tag in scripts if "/vendor/" not in tag), scripts
    bodies = re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S)
    assert len(bodies) == len(scripts) and not any(b.strip() for b in bodies), "inline script"
    assert "<style" not in html and " style=" not in html, "inline style: the CSP forbids it"
    assert not re.search(r"\son\w+\s*=", html), "inline event handler: the CSP forbids it"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_has_the_one_top_bar(page: str) -> None:
    # Written once, by header.js: a page only marks its place and names itself.
    html = _text(page)
    assert re.search(r'<header class="topbar" data-subtitle="[^"<]+">', html), page
    assert '<script type="module" src="/static/header.js">' in html
    assert "<form" not in html and 'class="back"' not in html, f"{page} restates the top bar"


def test_the_top_bar_has_the_search_box_and_a_way_back() -> None:
    script = _text("header.js")
    for part in TOP_BAR:
        assert part in script, part


@pytest.mark.parametrize(
    ("page", "script"), [("vessel.html", "vessel.js"), ("index.html", "app.js")]
)
def test_a_page_with_a_map_loads_leaflet_before_its_script(page: str, script: str) -> None:
    html = _text(page)
    order = [html.index(f'src="/static/{name}"') for name in ("vendor/leaflet/leaflet.js", script)]
    assert order == sorted(order)
    styles = [
        html.index(f'href="/static/{name}"') for name in ("vendor/leaflet/leaflet.css", "map.css")
    ]
    assert styles == sorted(styles)  # the base map's rules win over Leaflet's defaults


@pytest.mark.parametrize("name", SCRIPTS)
def test_the_scripts_never_parse_data_as_html(name: str) -> None:
    script = _text(name)
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "DOMParser",
        "createContextualFragment",
        'setAttribute("style"',
        "cssText",
    ):
        assert sink not in script, f"{name}: {sink}"
    # Leaflet sets a string tooltip or popup as HTML: ours always get an element.
    for call in re.findall(
        r"\.(?:bindTooltip|bindPopup|setContent|setTooltipContent)\(([^)]*)", script
    ):
        assert call.startswith("textNode("), f"{name}: tooltip content {call!r} is not a node"
    # A div icon's string is set as HTML too: ours is an element built from text (glyphMarker).
    for html in re.findall(r"divIcon\(\{\s*html:\s*([^,}]+)", script):
        assert html == "glyph" and 'const glyph = svgEl("svg"' in script, f"{name}: icon {html}"


@pytest.mark.parametrize("name", SCRIPTS)
def test_the_scripts_fetch_only_our_api_and_files(name: str) -> None:
    script = _text(name)
    for target in re.findall(r"(?:fetch|EventSource)\(\s*([^,)]+)", script):
        assert re.match(r'"/(api|static)/', target.strip()), f"{name} fetches {target}"
    # No default marker (its images are not vendored) and no tiles (there is no internet).
    for needle in ("L.icon(", "tileLayer", "L.Icon"):
        assert needle not in script, f"{name}: {needle}"
    for marker in re.finditer(r"L\.marker\(", script):
        following = script[marker.end() : marker.end() + 200]
        assert "icon: L.divIcon(" in following, f"{name}: a marker with Leaflet's default icon"


def test_the_vessel_script_keeps_export_links_on_our_origin() -> None:
    script = _text("vessel.js")
    assert 'startsWith("//")' in script and "ownPath(exports[key])" in script
    assert "no history for MMSI" in script  # an unknown vessel says so


@pytest.mark.parametrize("name", OURS)
def test_our_files_name_no_other_host(name: str) -> None:
    urls = set(re.findall(r"(?:https?:)?//[\w.-]+\.\w+", _text(name))) - {SVG_NAMESPACE}
    assert not urls, f"{name} refers to {urls}"


def test_leaflet_is_vendored_whole_with_its_licence_and_version() -> None:
    licence = (LEAFLET / "LICENSE.txt").read_text(encoding="utf-8")
    assert "BSD 2-Clause License" in licence and "Volodymyr Agafonkin" in licence
    version = (LEAFLET / "VERSION.txt").read_text(encoding="utf-8")
    assert "Leaflet 1.9.4" in version
    script = (LEAFLET / "leaflet.js").read_bytes()
    assert b'version="1.9.4"' in script
    # The files are npm's, unchanged: the hashes VERSION.txt records.
    for name in ("leaflet.js", "leaflet.css"):
        digest = hashlib.sha256((LEAFLET / name).read_bytes()).hexdigest()
        assert re.search(rf"{re.escape(name)}\s+sha256 {digest}\b", version), name
    served = web.static_files()
    assert {"vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css"} <= set(served)
    assert served["vendor/leaflet/leaflet.js"][1].startswith("text/javascript")
    assert "vendor/leaflet/LICENSE.txt" not in served  # a file to read, not a page


def test_the_pages_are_routed_and_every_static_file_is_packaged() -> None:
    assert web.PAGES["/search"] == "search.html"
    assert "vessel.html" in web.PAGES.values()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"]["shipwatch.web"]
    for path in STATIC.rglob("*"):
        if path.is_file():
            relative = path.relative_to(ROOT / "shipwatch" / "web").as_posix()
            assert any(
                fnmatch.fnmatch(relative, g) and relative.count("/") == g.count("/") for g in globs
            ), f"{relative} would be left out of the wheel"
