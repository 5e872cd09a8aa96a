"""The search and vessel pages in a real headless Chromium, fed by a real worker's history of a
voyage replayed on the real broker: one tanker named normally, one whose name is markup.

Set SHIPWATCH_UPDATE_SCREENSHOT=1 to refresh docs/vessel-page.png.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from bench.harness import Worker, start_worker
from shipwatch.settings import Settings
from tests.fixtures import wait_until
from tests.fixtures.kafka import cli
from tests.fixtures.timeline import (
    DPRK_TANKER,
    RUSSIAN_TANKER,
    loading_then_delivery,
    voyage_statics,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "vessel-page.png"
EVIL = "<img src=x onerror=alert(1)>"
EVIL_PORT = "<b>NAMPO</b>&amp;"  # a destination is free text too
NORMAL = "SEA PIONEER"


# ---------------------------------------------------------------- the story and the worker


@pytest.fixture(scope="module")
def worker(settings: Settings) -> Iterator[Worker]:
    """A worker whose history holds both tankers' voyages (the markup one renamed in port)."""
    positions = [
        p.model_dump(mode="json")
        for p in loading_then_delivery() + loading_then_delivery(RUSSIAN_TANKER)
    ]
    records = sorted(
        [
            *positions,
            *voyage_statics(
                DPRK_TANKER, EVIL, 9_123_458, first_name="PAEKMA 7", destination=EVIL_PORT
            ),
            *voyage_statics(RUSSIAN_TANKER, NORMAL, 9_345_671),
        ],
        key=lambda r: (r["ts"], r["kind"] != "static"),
    )
    story = settings.data_dir / "story.jsonl"
    story.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    process = start_worker(settings, settings.data_dir / "worker.log")
    try:
        process.wait_ready()
        replayed = cli(settings, "replay", str(story), "--max")
        assert replayed.returncode == 0, replayed.stderr
        for mmsi in (DPRK_TANKER, RUSSIAN_TANKER):
            wait_until(lambda m=mmsi: complete(settings, m), 90, f"MMSI {mmsi} in the history")
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def browser(chromium: Callable[[], Any]) -> Any:
    """One headless Chromium for the module."""
    return chromium()


# ---------------------------------------------------------------- helpers


def get(settings: Settings, path: str) -> tuple[int, bytes, dict[str, str]]:
    url = f"http://127.0.0.1:{settings.web_port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def complete(settings: Settings, mmsi: int) -> bool:
    """The vessel's voyage, its alert and its cargo are in the history."""
    status, body, _ = get(settings, f"/api/vessels/{mmsi}")
    if status != 200:
        return False
    found = orjson.loads(body)
    kinds = {entry["kind"] for entry in found["timeline"]}
    return {"port_call", "voyage", "sanctioned_voyage"} <= kinds and bool(
        found["cargo"].get("movements")
    )


def wait(driver: Any, condition: Callable[[Any], Any], timeout: float = 15.0) -> Any:
    waiting = WebDriverWait(
        driver, timeout, poll_frequency=0.05, ignored_exceptions=[StaleElementReferenceException]
    )
    return waiting.until(condition)


def search_for(driver: Any, text: str) -> Any:
    """Type `text` into the page's search box and submit it; the result rows."""
    box = driver.find_element(By.CSS_SELECTOR, 'form.search input[name="q"]')
    box.clear()
    box.send_keys(text, Keys.ENTER)
    wait(driver, lambda d: d.find_element(By.ID, "status").text not in ("", "searching…"))
    return driver.find_elements(By.CSS_SELECTOR, "#result-rows tr")


def severe(driver: Any) -> list[dict[str, Any]]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def no_dialog(driver: Any) -> None:
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - reading it is what raises


def centred(driver: Any, selector: str) -> bool:
    """The element is shown within a tenth of the map's size from the map's centre."""
    offsets = driver.execute_script(
        """const found = document.querySelector(arguments[0]);
        if (!found) return null;
        const e = found.getBoundingClientRect();
        const m = document.getElementById("map").getBoundingClientRect();
        return [(e.x + e.width / 2 - m.x - m.width / 2) / m.width,
                (e.y + e.height / 2 - m.y - m.height / 2) / m.height];""",
        selector,
    )
    return offsets is not None and all(abs(o) < 0.1 for o in offsets)


def timeline(driver: Any, **data: str) -> list[Any]:
    selector = "#timeline li" + "".join(f'[data-{k}="{v}"]' for k, v in data.items())
    return driver.find_elements(By.CSS_SELECTOR, selector)


# ---------------------------------------------------------------- tests


def test_search_by_name_leads_to_the_vessels_page_with_track_timeline_cargo_and_exports(
    worker: Worker, browser: Any, settings: Settings, tmp_path: Path
) -> None:
    base = f"http://127.0.0.1:{settings.web_port}"
    browser.get(f"{base}/search")
    rows = search_for(browser, "pioneer")
    assert browser.current_url == f"{base}/search?q=pioneer"  # a shareable address
    assert [r.get_attribute("data-mmsi") for r in rows] == [str(RUSSIAN_TANKER)]
    assert NORMAL in rows[0].text and "RU Russia" in rows[0].text
    rows[0].find_element(By.CSS_SELECTOR, "td.name a").click()

    wait(browser, lambda d: d.current_url == f"{base}/vessels/{RUSSIAN_TANKER}")
    wait(browser, lambda d: "fixes" in d.find_element(By.ID, "status").text, 20)
    assert browser.find_element(By.ID, "vessel-name").text == NORMAL
    assert "IMO 9345671" in browser.find_element(By.ID, "vessel-ids").text
    assert "tanker" in browser.find_element(By.ID, "identity").text
    # The map: the track is a Leaflet path, the last position marked, the fences and land.
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#map path.track"))
    assert browser.find_elements(By.CSS_SELECTOR, "#map path.last-fix")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#map path.fence")) == 2
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#map path.coast"))
    # The page as it opens, for the docs: the whole voyage on the map.
    shot = tmp_path / "vessel-page.png"
    browser.save_screenshot(str(shot))
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 400_000
    if os.environ.get("SHIPWATCH_UPDATE_SCREENSHOT"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)
    # The timeline: the port calls and the alert, newest first.
    calls = timeline(browser, kind="port_call")
    assert calls and any("vostochny" in c.text for c in calls)
    (voyage_alert,) = timeline(browser, kind="sanctioned_voyage", source="alert")
    assert "critical" in voyage_alert.get_attribute("class")
    assert "not acknowledged" in voyage_alert.text
    stamps = [
        t.get_attribute("datetime")
        for t in browser.find_elements(By.CSS_SELECTOR, "#timeline time")
    ]
    assert stamps == sorted(stamps, reverse=True)
    # Clicking an entry at a port frames the port on the map, ringed, in the middle.
    assert not browser.find_elements(By.CSS_SELECTOR, "#map path.focus-ring")
    calls[-1].click()
    wait(browser, lambda d: centred(d, "#map path.focus-ring"))
    assert "selected" in calls[-1].get_attribute("class")
    # The cargo: the loading at Vostochny, in barrels.
    cargo = browser.find_element(By.ID, "cargo").text
    assert "loaded" in cargo.lower() and "bbl" in cargo
    # Its table stays inside its card where three cards share the row (it spilt out at 1400).
    browser.set_window_size(1400, 860)
    try:
        table, card = (
            browser.find_element(By.CSS_SELECTOR, selector).rect
            for selector in ("#cargo table.deliveries", "#cargo .table-scroll")
        )
        panel = browser.find_element(By.CSS_SELECTOR, ".panel:has(#cargo)").rect
        assert panel["x"] <= card["x"] and card["x"] + card["width"] <= panel["x"] + panel["width"]
        assert table["width"] > 0
    finally:
        browser.set_window_size(1280, 860)
    # The export links are ours and download the evidence.
    links = {
        a.get_attribute("data-format"): a.get_attribute("href")
        for a in browser.find_elements(By.CSS_SELECTOR, "#exports a")
    }
    assert set(links) == {"geojson", "csv", "kml", "json"}
    assert all(url.startswith(f"{base}/vessels/{RUSSIAN_TANKER}/export.") for url in links.values())
    with urllib.request.urlopen(links["geojson"], timeout=10) as reply:
        collection = json.loads(reply.read())
    assert collection["type"] == "FeatureCollection"
    assert any("LineString" in f["geometry"]["type"] for f in collection["features"])

    assert not severe(browser)  # no script error, no content-security-policy violation


def test_a_name_that_is_markup_shows_as_text_everywhere(
    worker: Worker, browser: Any, settings: Settings
) -> None:
    base = f"http://127.0.0.1:{settings.web_port}"
    browser.get(f"{base}/search?q=onerror")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#result-rows tr"))
    assert (
        browser.find_element(By.CSS_SELECTOR, 'form.search input[name="q"]').get_attribute("value")
        == "onerror"
    )
    (row,) = browser.find_elements(By.CSS_SELECTOR, "#result-rows tr")
    link = row.find_element(By.CSS_SELECTOR, "td.name a")
    assert link.text == EVIL
    link.click()
    wait(browser, lambda d: "fixes" in d.find_element(By.ID, "status").text, 20)
    assert browser.find_element(By.ID, "vessel-name").text == EVIL
    assert browser.title.startswith(EVIL)
    changes = browser.find_element(By.ID, "identity-changes").text
    assert "PAEKMA 7" in changes and EVIL in changes  # the rename, as text
    assert EVIL_PORT in browser.find_element(By.ID, "identity").text
    assert timeline(browser, kind="sanctioned_voyage", source="alert")
    assert browser.find_elements(By.CSS_SELECTOR, "img, script:not([src])") == []
    no_dialog(browser)
    assert not severe(browser)


def test_the_days_choice_refetches_and_stays_in_the_address(
    worker: Worker, browser: Any, settings: Settings
) -> None:
    base = f"http://127.0.0.1:{settings.web_port}"
    browser.get(f"{base}/vessels/{RUSSIAN_TANKER}")
    wait(browser, lambda d: "fixes" in d.find_element(By.ID, "status").text, 20)
    browser.execute_script(
        """window.asked = [];
        const real = window.fetch;
        window.fetch = (url, ...rest) => {
          window.asked.push(String(url));
          return real(url, ...rest);
        };"""
    )
    browser.find_element(By.CSS_SELECTOR, '.days button[data-days="7"]').click()
    wait(browser, lambda d: d.execute_script("return window.asked.length"))
    assert browser.execute_script("return window.asked") == [
        f"/api/vessels/{RUSSIAN_TANKER}?days=7"
    ]
    assert browser.current_url.endswith(f"/vessels/{RUSSIAN_TANKER}?days=7")
    pressed = browser.find_element(By.CSS_SELECTOR, '.days button[aria-pressed="true"]')
    assert pressed.get_attribute("data-days") == "7"
    wait(browser, lambda d: "fixes" in d.find_element(By.ID, "status").text)
    browser.get(f"{base}/vessels/999999999")
    wait(browser, lambda d: d.find_element(By.ID, "status").text == "not found")
    assert browser.find_element(By.ID, "vessel-name").text == "no history for MMSI 999999999"
