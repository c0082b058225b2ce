"""End to end in headless Chromium: sign up, create a project and a task through the HTML forms, and see a
change made in a second tab arrive in the first over the WebSocket, against a real uvicorn server.

Needs Debian's `chromium` and `chromium-driver` (.ci/run installs them); without them the test skips, except
under FRAMEWORK_REQUIRE_SERVICES=1 (CI), where it fails instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
WAIT_SECONDS = 15


def _require_browser() -> None:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if not missing:
        return
    reason = f"the browser test needs chromium and chromedriver ({', '.join(missing)} missing); run .ci/run"
    if os.environ.get("FRAMEWORK_REQUIRE_SERVICES") == "1":
        pytest.fail(f"FRAMEWORK_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_serving(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {server.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"uvicorn did not answer {url} within {WAIT_SECONDS}s")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The app under uvicorn on a free port, on a freshly migrated SQLite file; stopped by PID afterwards."""
    port = _free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'browser.db'}",
        "SECRET_KEY": "browser-test-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PASSWORD_HASH_COST": "4",
    }
    migrate = [sys.executable, "-m", "framework.cli", "db", "upgrade", "--app", "example_app.app:build_app()"]
    subprocess.run(migrate, cwd=ROOT, env=environment, check=True, capture_output=True, timeout=120)
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "example_app.app:build_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=environment)
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_serving(f"{base_url}/static/app.css", process)
        yield base_url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def browser() -> Iterator[object]:
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_sign_up_create_and_see_another_tabs_change_live(server: str, browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    assert isinstance(browser, WebDriver)
    driver = browser
    wait = WebDriverWait(driver, WAIT_SECONDS)

    def submit(fields: dict[str, str], button: str) -> None:
        for name, value in fields.items():
            element = driver.find_element(By.NAME, name)
            element.clear()
            element.send_keys(value)
        driver.find_element(By.ID, button).click()

    driver.get(f"{server}/signup")
    submit({"username": "alice", "password": "correct horse battery"}, "signup-submit")
    wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "signed-in-as"), "alice"))

    driver.find_element(By.ID, "new-project").click()
    submit({"name": "Browser board", "description": "Made by Selenium"}, "project-submit")
    wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "project-name"), "Browser board"))
    submit({"title": "First card"}, "task-submit")
    wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "column-todo"), "First card"))
    project_url = driver.current_url
    wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "live-status"), "Live"))
    first_tab = driver.current_window_handle

    driver.switch_to.new_window("tab")
    driver.get(project_url)
    submit({"title": "From the second tab"}, "task-submit")
    wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "column-todo"), "From the second tab"))

    driver.switch_to.window(first_tab)
    # No reload: the card arrives over the WebSocket and board.js adds it.
    wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "column-todo"), "From the second tab"))
    cards = [card.text for card in driver.find_elements(By.CSS_SELECTOR, "#column-todo .task-title")]
    assert cards == ["First card", "From the second tab"]
    assert driver.find_elements(By.CSS_SELECTOR, "#column-todo .task.fresh")
