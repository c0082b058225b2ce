"""The benchmark apps do the same work: every endpoint answers like the raw ASGI app, through the driver.

Runs in the normal .venv, where the peers (Starlette, FastAPI, Litestar, BlackSheep) are deliberately not
installed: their apps are skipped here and checked by `python -m benchmarks` in .venv-bench instead.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.inprocess import InProcessApp, run_coroutine
from benchmarks.spec import APPS, ENDPOINTS, Endpoint, is_available, load_app

COMPARED_HEADERS = (b"content-type", b"content-length")


def _essentials(answer: tuple[int, list[tuple[bytes, bytes]], bytes]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    status, headers, body = answer
    return status, sorted((k.lower(), v) for k, v in headers if k.lower() in COMPARED_HEADERS), body


async def _exchange(app_name: str) -> dict[str, Any]:
    reference, candidate = InProcessApp(load_app("raw")), InProcessApp(load_app(app_name))
    await reference.start()
    await candidate.start()
    try:
        answers: dict[str, Any] = {}
        for ep in ENDPOINTS:
            expected = _essentials(await reference.request(ep))
            actual = _essentials(await candidate.request(ep))
            timed = await candidate.bench(ep, seconds=5.0, max_requests=1)
            answers[ep.name] = (expected, actual, timed)
        return answers
    finally:
        await candidate.stop()
        await reference.stop()


@pytest.mark.parametrize("app_name", [spec.name for spec in APPS if spec.name != "raw"])
def test_app_answers_like_raw_asgi(app_name: str) -> None:
    if not is_available(app_name):
        pytest.skip(
            f"{app_name} is not installed in this venv: the peers live only in .venv-bench "
            "(`make bench`) so they can never leak into the framework's test environment"
        )
    answers = run_coroutine(_exchange(app_name))
    for name, (expected, actual, timed) in answers.items():
        assert actual == expected, f"{app_name} {name}"
        assert timed["requests"] == 1, name
        assert timed["errors"] == 0, f"{app_name} {name}: the timed request got an unexpected status"
        assert timed["wall"] > 0


def test_endpoints_cover_the_issue() -> None:
    # The endpoint table is the contract of issue 8; a dropped endpoint would silently shrink the report.
    assert [(ep.method, ep.path) for ep in ENDPOINTS] == [
        ("GET", "/plaintext"),
        ("GET", "/json"),
        ("GET", "/users/42/items/abc"),
        ("POST", "/echo"),
        ("GET", "/di"),
        ("GET", "/mw/json"),
        ("GET", "/db/500"),
        ("POST", "/db"),
    ]
    assert all(isinstance(ep, Endpoint) for ep in ENDPOINTS)
