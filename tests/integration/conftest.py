"""The real broker, started once per test session; a fresh namespace and worker per test."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from bench.harness import Worker, start_worker
from shipwatch import broker
from shipwatch.broker.ports import free_port
from shipwatch.settings import Settings
from tests.fixtures.kafka import fresh_namespace


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address of a real single-node Kafka for this session."""
    external = os.environ.get("SHIPWATCH_TEST_BOOTSTRAP")
    if external:
        yield external
        return
    settings = Settings(
        kafka_bootstrap=f"127.0.0.1:{free_port(pair=True)}",
        broker_home=tmp_path_factory.mktemp("broker"),
    )
    broker.start(settings, timeout=180)
    try:
        yield settings.kafka_bootstrap
    finally:
        broker.stop(settings)


@pytest.fixture
def namespace_settings(kafka: str, tmp_path: Path) -> Settings:
    """Settings of a namespace no other test uses, on the session broker."""
    return fresh_namespace(kafka, tmp_path)


@pytest.fixture(scope="module")
def settings(
    kafka: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """One namespace for a whole module, whose tests share a worker (it takes seconds to
    start)."""
    # "-", not "_": Kafka warns of topic names that mix "." and "_".
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_").replace("_", "-")
    return Settings(
        kafka_bootstrap=kafka,
        namespace=f"{module}-{uuid.uuid4().hex[:8]}",
        partitions=2,
        web_port=free_port(),
        data_dir=tmp_path_factory.mktemp(f"{module}-worker"),
    )


@pytest.fixture
def worker_factory(namespace_settings: Settings, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Start workers of the test's namespace; all are stopped at the end."""
    started: list[Worker] = []

    def start(module: str = "shipwatch") -> Worker:
        # The first worker serves the namespace's web port; others get ports of their own.
        port = namespace_settings.web_port if not started else free_port()
        settings = namespace_settings.model_copy(update={"web_port": port})
        worker = start_worker(settings, tmp_path / f"worker-{len(started)}.log", module)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# Debian's Chromium as the machine's probe starts it: without the background-networking flags
# it keeps trying hosts this closed network refuses.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,860",
)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Callable[[], Any]]:
    """Opens headless Chromium sessions (Debian's, never a downloaded browser), each with a
    fresh profile and its console log kept; every one is closed when the module ends."""
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are missing in CI (scripts/system-deps.sh)")
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    opened: list[tuple[Any, str]] = []

    def open_session() -> Any:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        profile = tempfile.mkdtemp(prefix="shipwatch-chromium-")
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        opened.append((driver, profile))
        return driver

    try:
        yield open_session
    finally:
        for driver, profile in opened:
            driver.quit()
            shutil.rmtree(profile, ignore_errors=True)
