"""Measurements beside the request loop: import times, lazy loading of the app layer, idle WebSockets."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.e2e import server

__all__ = ["import_times", "lazy_imports", "websocket_memory"]

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("sqlalchemy", "pydantic", "strawberry", "dependency_injector")

_TIMER = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
_LOADED = "import json, sys; import {module}; print(json.dumps([m for m in {heavy!r} if m in sys.modules]))"


def _python(code: str, python: str, pycache: str | None = None) -> str:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    if pycache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        # Both sides import from cached bytecode, kept outside the checkout and site-packages alike.
        env["PYTHONPYCACHEPREFIX"] = pycache
    completed = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, timeout=120, check=True, cwd=ROOT, env=env
    )
    return completed.stdout.strip().splitlines()[-1]


def import_times(pairs: list[tuple[str, str]], repeats: int, python: str = sys.executable) -> list[dict[str, Any]]:
    """Median import time of each module of each pair, in fresh interpreters, the two of a pair alternated.

    One untimed import of each module first writes the bytecode of everything it loads to a private cache, so
    neither side pays for compiling its sources (an installed peer has its bytecode; a fresh checkout or
    an edited file would not).
    """
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as pycache:
        return [_import_pair(ours, theirs, repeats, python, pycache) for ours, theirs in pairs]


def _import_pair(ours: str, theirs: str, repeats: int, python: str, pycache: str) -> dict[str, Any]:
    for module in (ours, theirs):
        _python(_TIMER.format(module=module), python, pycache)
    timings: dict[str, list[float]] = {ours: [], theirs: []}
    for index in range(repeats):
        for module in (ours, theirs) if index % 2 == 0 else (theirs, ours):
            timings[module].append(float(_python(_TIMER.format(module=module), python, pycache)))
    ours_ms, theirs_ms = (1000 * statistics.median(timings[m]) for m in (ours, theirs))
    return {"module": ours, "peer": theirs, "ms": ours_ms, "peer_ms": theirs_ms, "ratio": ours_ms / theirs_ms}


def lazy_imports(modules: list[str], python: str = sys.executable) -> dict[str, list[str]]:
    """Which heavy libraries importing each module loads (the app layer should load them only when used)."""
    return {module: json.loads(_python(_LOADED.format(module=module, heavy=HEAVY), python)) for module in modules}


async def _open_raw(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket opening handshake over a plain socket: the lightest possible client."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    if not head.startswith(b"HTTP/1.1 101"):
        writer.close()
        raise RuntimeError(f"handshake refused: {head[:60]!r}")
    return reader, writer


async def _hold_connections(port: int, count: int, measure: Any) -> Any:
    connections: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    try:
        for start in range(0, count, 100):
            batch = await asyncio.gather(*(_open_raw(port) for _ in range(min(100, count - start))))
            connections.extend(batch)
        await asyncio.sleep(1.0)  # let the server settle before reading its memory
        return measure()
    finally:
        for _, writer in connections:
            writer.close()


def websocket_memory(apps: Sequence[str], count: int, python: str = sys.executable) -> list[dict[str, Any]]:
    """Server RSS growth with `count` idle WebSocket connections open, per app, under uvicorn."""
    results = []
    for app_name in apps:
        with server(app_name, python) as running:
            asyncio.run(_hold_connections(running.port, 10, lambda: None))  # warm the WebSocket path once
            time.sleep(0.5)
            before = running.memory_kb("VmRSS")
            after = asyncio.run(_hold_connections(running.port, count, lambda r=running: r.memory_kb("VmRSS")))
        results.append(
            {
                "app": app_name,
                "connections": count,
                "rss_before_mb": before / 1024,
                "rss_after_mb": after / 1024,
                "kb_per_connection": (after - before) / count,
            }
        )
    return results
