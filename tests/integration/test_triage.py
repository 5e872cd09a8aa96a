"""Shared triage on a real worker and the real broker, behind a real authenticating proxy.

Two small reverse proxies (aiohttp) stand in for the team's sign-in proxy: each forwards to the
worker from 127.0.0.2 (the worker's only trusted proxy) and sets X-WEBAUTH-USER to its user,
alice or bob. Direct requests come from 127.0.0.1: read-only, and refused when they carry the
header. Two headless Chromium sessions, one through each proxy, see each other's actions live.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import ClientSession, ClientTimeout, TCPConnector, web
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from bench.harness import Worker, start_worker
from shipwatch.broker.ports import free_port
from shipwatch.settings import Settings
from streams.kafka.topics import ensure_topics
from tests.fixtures import wait_until

ROOT = Path(__file__).resolve().parents[2]
USERS = ("alice", "bob")
PROXY_ADDRESS = "127.0.0.2"  # the proxies' source address: the worker's trusted proxy
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "content-encoding",
}


pytestmark = pytest.mark.integration

MMSI = 445_990_301
NAME = "CHON MA SAN"


# ---------------------------------------------------------------- the proxy


class AuthProxy:
    """A reverse proxy that signs every request in as one user, from 127.0.0.2."""

    def __init__(self, user: str, upstream_port: int) -> None:
        self.user = user
        self.upstream = f"http://127.0.0.1:{upstream_port}"
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.session: ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AuthProxy:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    async def _start(self) -> None:
        connector = TCPConnector(local_addr=(PROXY_ADDRESS, 0), force_close=True)
        self.session = ClientSession(
            connector=connector, timeout=ClientTimeout(total=None, sock_read=None)
        )
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self.runner = web.AppRunner(app, shutdown_timeout=1)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def _stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        if self.session is not None:
            await self.session.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self.session is not None
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in HOP_BY_HOP and k.lower() != "x-webauth-user"
        }
        headers["X-WEBAUTH-USER"] = self.user  # whoever the client claimed to be
        body = await request.read()
        async with self.session.request(
            request.method,
            self.upstream + str(request.rel_url),
            headers=headers,  # Host as the browser sent it, as nginx's `proxy_set_header Host`
            data=body or None,
            allow_redirects=False,
        ) as upstream:
            reply = web.StreamResponse(
                status=upstream.status,
                headers={k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP},
            )
            await reply.prepare(request)
            try:
                async for chunk in upstream.content.iter_any():  # streams SSE as it comes
                    await reply.write(chunk)
                await reply.write_eof()
            except (ConnectionResetError, RuntimeError):
                pass  # the browser went away
            return reply


# ---------------------------------------------------------------- fixtures


class Workers:
    """The module's worker; `restart` replaces it with a new process on the same settings."""

    def __init__(self, settings: Settings, log: Any) -> None:
        self.settings = settings
        self.log = log
        self.current = self._start()

    def _start(self) -> Worker:
        worker = start_worker(
            self.settings,
            self.log,
            # env_for passes the settings tests usually vary; the trusted proxy is ours.
            extra_env={"SHIPWATCH_TRUSTED_PROXIES": PROXY_ADDRESS},
        )
        worker.wait_ready()
        return worker

    def restart(self) -> None:
        self.current.stop()
        self.current = self._start()


@pytest.fixture(scope="module")
def workers(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    running = Workers(settings, tmp_path_factory.mktemp("triage-logs") / "worker.log")
    try:
        yield running
    finally:
        running.current.stop()


@pytest.fixture(scope="module")
def proxies(workers: Workers, settings: Settings) -> Iterator[dict[str, AuthProxy]]:
    started = {user: AuthProxy(user, settings.web_port).start() for user in USERS}
    try:
        yield started
    finally:
        for proxy in started.values():
            proxy.stop()


@pytest.fixture(scope="module")
def browsers(chromium: Callable[[], Any]) -> dict[str, Any]:
    """Two headless Chromium sessions, one for alice and one for bob."""
    return {user: chromium() for user in USERS}


# ---------------------------------------------------------------- helpers


def wait(driver: Any, condition: Callable[[Any], Any], timeout: float = 15.0) -> Any:
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)


def request(
    url: str,
    method: str = "GET",
    body: Any = None,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> tuple[int, Any]:
    """(status, JSON answer) of a request; errors are answers too."""
    data = raw if raw is not None else (orjson.dumps(body) if body is not None else None)
    sent = {"Content-Type": "application/json"} if data is not None else {}
    sent |= headers or {}
    req = urllib.request.Request(url, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(req, timeout=30) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def alert(alert_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "alert_id": alert_id,
        "kind": "watchlist_port_call",
        "severity": "warning",
        "mmsi": MMSI,
        "at": "2024-03-09T12:00:00Z",
        "title": f"Watch-listed vessel calling at vostochny ({alert_id})",
        "port": "vostochny",
        "route": None,
        "evidence": {"name": NAME, "port": "vostochny", "arrived_at": "2024-03-09T12:00:00Z"},
        "status": "active",
        **extra,
    }


async def _produce(settings: Settings, records: list[dict[str, Any]]) -> None:
    await ensure_topics(settings)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        for record in records:
            key = str(record["mmsi"]).encode()
            await producer.send_and_wait(settings.topic("alerts"), orjson.dumps(record), key=key)
    finally:
        await producer.stop()


def publish(settings: Settings, *records: dict[str, Any]) -> None:
    """Publish alerts and wait until the worker's feed has them."""
    asyncio.run(_produce(settings, list(records)))
    url = f"http://127.0.0.1:{settings.web_port}/api/alerts"
    wanted = {r["alert_id"] for r in records}
    wait_until(
        lambda: wanted <= {a["alert_id"] for a in request(url)[1]},
        20,
        f"{sorted(wanted)} in {url}",
    )


async def _state_records(settings: Settings) -> list[tuple[str, dict[str, Any] | None]]:
    topic = settings.topic("alert-state")
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(settings.partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        found: list[tuple[str, dict[str, Any] | None]] = []
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for messages in (await consumer.getmany(timeout_ms=1000)).values():
                for m in messages:
                    value = orjson.loads(m.value) if m.value is not None else None
                    found.append((m.key.decode(), value))
        return found
    finally:
        await consumer.stop()


def state_records(settings: Settings) -> list[tuple[str, dict[str, Any] | None]]:
    """Every record on `<ns>.alert-state`, as (key, value)."""
    return asyncio.run(_state_records(settings))


# ---------------------------------------------------------------- tests


def test_an_acknowledgement_through_alices_proxy_is_written_with_her_name(
    settings: Settings, proxies: dict[str, AuthProxy]
) -> None:
    publish(settings, alert("t-ack"))
    status, whoami = request(f"{proxies['alice'].url}/api/whoami")
    assert (status, whoami) == (200, {"user": "alice", "can_write": True})
    status, state = request(
        f"{proxies['alice'].url}/api/alerts/t-ack/triage", "POST", {"action": "acknowledge"}
    )
    assert status == 200, state
    assert state["acknowledged"]["by"] == "alice" and state["version"] == 1
    assert state["actions"] == [{"action": "acknowledge", "by": "alice", "at": state["updated_at"]}]
    # Answered after the broker acknowledged it: on the topic, keyed by the alert id.
    assert ("t-ack", state) in state_records(settings)
    status, everything = request(f"http://127.0.0.1:{settings.web_port}/api/triage")
    assert status == 200 and everything["t-ack"] == state
    # Bob's note builds on alice's acknowledgement.
    status, noted = request(
        f"{proxies['bob'].url}/api/alerts/t-ack/triage",
        "POST",
        {"action": "note", "text": "seen on SAR too"},
    )
    assert status == 200, noted
    assert noted["acknowledged"] == state["acknowledged"] and noted["version"] == 2
    assert [(n["by"], n["text"]) for n in noted["notes"]] == [("bob", "seen on SAR too")]


def test_a_forged_user_header_from_an_untrusted_address_is_refused_and_nothing_written(
    settings: Settings, proxies: dict[str, AuthProxy]
) -> None:
    publish(settings, alert("t-forged"))
    before = state_records(settings)
    direct = f"http://127.0.0.1:{settings.web_port}"
    forged = {"X-WEBAUTH-USER": "alice"}
    status, reply = request(
        f"{direct}/api/alerts/t-forged/triage", "POST", {"action": "acknowledge"}, forged
    )
    assert status == 403 and "not a trusted proxy" in reply["error"]
    status, reply = request(f"{direct}/api/whoami", headers=forged)
    assert status == 403 and "not a trusted proxy" in reply["error"]
    # Without the header: read-only, refused too, with the reason.
    status, reply = request(f"{direct}/api/alerts/t-forged/triage", "POST", {"action": "reopen"})
    assert status == 403 and reply["error"].startswith("read-only")
    time.sleep(1)
    assert state_records(settings) == before
    status, everything = request(f"{direct}/api/triage")
    assert status == 200 and "t-forged" not in everything


def test_a_direct_visitor_reads_everything_and_may_write_nothing(
    settings: Settings, proxies: dict[str, AuthProxy]
) -> None:
    publish(settings, alert("t-read"))
    direct = f"http://127.0.0.1:{settings.web_port}"
    assert request(f"{direct}/api/whoami") == (200, {"user": None, "can_write": False})
    status, cases = request(f"{direct}/api/cases")
    assert status == 200
    mine = [c for c in cases if "t-read" in c["alert_ids"]]
    assert len(mine) == 1 and mine[0]["mmsi"] == MMSI and mine[0]["vessel"]["name"] == NAME
    assert mine[0]["case_id"] == f"{MMSI}-vostochny-20240309T120000Z"
    assert mine[0]["severity"] == "warning" and "open" in mine[0]["triage"]


def test_bad_requests_through_the_proxy_are_refused_with_a_reason(
    settings: Settings, proxies: dict[str, AuthProxy]
) -> None:
    publish(settings, alert("t-bad"))
    url = f"{proxies['alice'].url}/api/alerts/t-bad/triage"
    status, reply = request(url, "POST", {"action": "delete"})
    assert status == 400 and "action must be one of" in reply["error"]
    status, reply = request(url, "POST", {"action": "note", "text": "x" * 2001})
    assert status == 400 and "at most 2000" in reply["error"]
    status, reply = request(url, "POST", raw=b"{not json")
    assert status == 400
    status, reply = request(
        url, "POST", raw=b'{"action": "acknowledge"}', headers={"Content-Type": "text/plain"}
    )
    assert status == 415
    status, reply = request(
        url, "POST", {"action": "acknowledge"}, headers={"Origin": "https://evil.example"}
    )
    assert status == 403 and "cross-site" in reply["error"]
    status, reply = request(
        f"{proxies['alice'].url}/api/alerts/never-seen/triage", "POST", {"action": "acknowledge"}
    )
    assert status == 404
    assert "t-bad" not in request(f"{proxies['alice'].url}/api/triage")[1]


def text_of(element: Any) -> str:
    """An element's text, shown or hidden (selenium's .text is only what is displayed)."""
    return str(element.get_attribute("textContent")) if element is not None else ""


def card(driver: Any, alert_id: str) -> Any:
    found = driver.find_elements(By.CSS_SELECTOR, f'li.alert[data-alert-id="{alert_id}"]')
    return found[0] if found else None


def test_alices_acknowledgement_in_her_browser_shows_live_on_bobs_page(
    settings: Settings, proxies: dict[str, AuthProxy], browsers: dict[str, Any]
) -> None:
    publish(settings, alert("t-live"))
    alice, bob = browsers["alice"], browsers["bob"]
    for user, driver in browsers.items():
        driver.get(proxies[user].url + "/")
        wait(driver, lambda d: d.find_element(By.ID, "status").text == "live")
        wait(driver, lambda d: card(d, "t-live") is not None)
        wait(driver, lambda d, u=user: d.find_element(By.ID, "whoami").text == f"signed in as {u}")
        assert not driver.find_element(By.ID, "readonly").is_displayed()
    shown = card(bob, "t-live")
    assert "open" in shown.find_element(By.CSS_SELECTOR, ".triage-state").text
    link = shown.find_element(By.CSS_SELECTOR, ".vessel a.name")
    assert link.text == NAME and link.get_attribute("href").endswith(f"/vessels/{MMSI}")

    card(alice, "t-live").find_element(By.CSS_SELECTOR, "button.ack").click()
    # Bob's page, open all along, learns it from the stream: no reload.
    wait(bob, lambda d: "acknowledged by alice" in text_of(card(d, "t-live")))
    assert "acked" in card(bob, "t-live").get_attribute("class")
    assert not card(bob, "t-live").is_displayed()  # closed alerts hide unless asked for
    bob.find_element(By.ID, "show-acked").click()
    # Bob assigns it to carol and notes why, through the card's form.
    shown = card(bob, "t-live")
    shown.find_element(By.CSS_SELECTOR, "button.assign").click()
    field = shown.find_element(By.CSS_SELECTOR, ".triage-input")
    field.send_keys("carol")
    shown.find_element(By.CSS_SELECTOR, "form.triage-form button.save").click()
    wait(bob, lambda d: "assigned to carol by bob" in card(d, "t-live").text)
    shown.find_element(By.CSS_SELECTOR, "button.note").click()
    field.send_keys("<b>berth 3</b>, see SAR")
    shown.find_element(By.CSS_SELECTOR, "form.triage-form button.save").click()
    alice.find_element(By.ID, "show-acked").click()
    wait(alice, lambda d: "<b>berth 3</b>, see SAR" in card(d, "t-live").text)  # as text
    text = card(alice, "t-live").text
    assert "assigned to carol by bob" in text and "acknowledged by alice" in text
    shot = alice.get_screenshot_as_png()  # the triaged list, as docs/pages.md shows it
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("SHIPWATCH_UPDATE_SCREENSHOT"):
        (ROOT / "docs" / "triage-page.png").write_bytes(shot)
    # Alice reopens it; both pages show it open again, and the cases view agrees.
    card(alice, "t-live").find_element(By.CSS_SELECTOR, "button.reopen").click()
    wait(bob, lambda d: "acked" not in card(d, "t-live").get_attribute("class"))
    bob.find_element(By.ID, "view-cases").click()
    case = f'li.case[data-case-id="{MMSI}-vostochny-20240309T120000Z"]'
    wait(bob, lambda d: d.find_elements(By.CSS_SELECTOR, case))
    assert "assigned to carol" in bob.find_element(By.CSS_SELECTOR, case).text
    bob.find_element(By.ID, "view-alerts").click()
    for driver in browsers.values():
        assert driver.find_elements(By.CSS_SELECTOR, "#alerts b, script:not([src])") == []
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not severe, severe


def test_a_direct_page_is_read_only_without_buttons(
    settings: Settings, proxies: dict[str, AuthProxy], browsers: dict[str, Any]
) -> None:
    page = browsers["bob"]
    page.get(f"http://127.0.0.1:{settings.web_port}/")
    wait(page, lambda d: d.find_element(By.ID, "readonly").is_displayed())
    assert (
        "read-only: sign in through the team's proxy" in page.find_element(By.TAG_NAME, "body").text
    )
    page.find_element(By.ID, "show-acked").click()
    wait(
        page,
        lambda d: card(d, "t-ack") is not None and "acknowledged by alice" in card(d, "t-ack").text,
    )
    assert not [
        b for b in page.find_elements(By.CSS_SELECTOR, ".actions button") if b.is_displayed()
    ]
    form = page.find_element(By.CSS_SELECTOR, "form.search")
    assert (
        form.get_attribute("action").endswith("/search") and form.get_attribute("method") == "get"
    )


def test_the_state_survives_a_restart_of_the_worker(
    settings: Settings, workers: Workers, proxies: dict[str, AuthProxy]
) -> None:
    direct = f"http://127.0.0.1:{settings.web_port}/api/triage"
    before = request(direct)[1]
    assert before["t-ack"]["acknowledged"]["by"] == "alice"
    workers.restart()
    wait_until(lambda: request(direct)[1] == before, 30, "the triage state as before")
    # And the restarted worker takes new actions on top of the old state.
    status, state = request(
        f"{proxies['bob'].url}/api/alerts/t-ack/triage", "POST", {"action": "false_positive"}
    )
    assert status == 200, state
    assert state["version"] == before["t-ack"]["version"] + 1
    assert state["acknowledged"]["by"] == "alice" and state["false_positive"]["by"] == "bob"
