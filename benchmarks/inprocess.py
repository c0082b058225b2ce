"""The in-process driver: the ASGI app called directly, after a real lifespan startup.

What is measured is the framework alone: no sockets, no HTTP parsing. Each app runs in a worker
subprocess of its own (so its peak RSS is its own and one app's garbage cannot slow another), driven
over stdin/stdout with one JSON object per line; `python -m benchmarks.inprocess <app>` is that worker.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import selectors
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TextIO

from benchmarks.spec import Endpoint, endpoint, load_app

__all__ = ["InProcessApp", "Worker", "new_runner", "run_coroutine"]

ROOT = Path(__file__).resolve().parent.parent
_DISCONNECT = {"type": "http.disconnect"}
_BATCH = 25


class InProcessApp:
    """An ASGI app started through its lifespan and called with prebuilt scopes."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 60.0) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.4"}, "state": self.state}
        self._task = asyncio.create_task(self.app(scope, self._to_app.get, self._from_app.put))
        await self._to_app.put({"type": "lifespan.startup"})
        await self._expect("lifespan.startup.complete", timeout)

    async def stop(self, timeout: float = 30.0) -> None:
        if self._task is None:
            return
        await self._to_app.put({"type": "lifespan.shutdown"})
        try:
            await self._expect("lifespan.shutdown.complete", timeout)
        finally:
            self._task.cancel()
            self._task = None

    async def _expect(self, kind: str, timeout: float) -> None:
        assert self._task is not None
        getter = asyncio.ensure_future(self._from_app.get())
        done, _ = await asyncio.wait({getter, self._task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if getter not in done:
            getter.cancel()
            if self._task in done and self._task.exception() is not None:
                raise RuntimeError(f"lifespan failed: {self._task.exception()!r}")
            raise RuntimeError(f"no {kind} within {timeout}s")
        message = getter.result()
        if message["type"] != kind:
            raise RuntimeError(f"expected {kind}, got {message}")

    def _scope(self, ep: Endpoint) -> dict[str, Any]:
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 50000),
            "scheme": "http",
            "method": ep.method,
            "root_path": "",
            "path": ep.path,
            "raw_path": ep.path.encode(),
            "query_string": b"",
            "headers": ep.headers,
        }

    def _caller(self, ep: Endpoint, send: Callable[[dict[str, Any]], Awaitable[None]]) -> Callable[[], Any]:
        """A zero-argument coroutine function making one request: the per-request harness cost is two dict
        copies and one closure, the same for every app."""
        app, state, base = self.app, self.state, self._scope(ep)
        message = {"type": "http.request", "body": ep.body, "more_body": False}

        async def call() -> None:
            done = False

            async def receive() -> dict[str, Any]:
                nonlocal done
                if done:
                    return _DISCONNECT
                done = True
                return message

            scope = base.copy()
            scope["state"] = state.copy()
            await app(scope, receive, send)

        return call

    async def request(self, ep: Endpoint) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """One request, fully recorded: (status, headers, body)."""
        messages: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)

        await self._caller(ep, send)()
        start = next(m for m in messages if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        return start["status"], [(bytes(k), bytes(v)) for k, v in start.get("headers", [])], body

    async def bench(self, ep: Endpoint, seconds: float, max_requests: int | None = None) -> dict[str, Any]:
        """Call the endpoint in a loop bounded by `seconds` (and `max_requests`) after a short warm-up."""
        errors = 0
        expected = ep.status

        async def send(message: dict[str, Any]) -> None:
            nonlocal errors
            if message["type"] == "http.response.start" and message["status"] != expected:
                errors += 1

        call = self._caller(ep, send)
        warm_until = time.perf_counter() + min(0.2, seconds / 5)
        while time.perf_counter() < warm_until and max_requests is None:
            for _ in range(_BATCH):
                await call()
        errors = 0
        batch = _BATCH if max_requests is None else min(_BATCH, max_requests)
        requests = 0
        wall0, cpu0 = time.perf_counter(), time.process_time()
        deadline = wall0 + seconds
        while True:
            for _ in range(batch):
                await call()
            requests += batch
            if time.perf_counter() >= deadline or (max_requests is not None and requests >= max_requests):
                break
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        return {"requests": requests, "wall": wall, "cpu": cpu, "errors": errors}


def new_runner() -> asyncio.Runner:
    """An asyncio runner on uvloop when installed (as under uvicorn), else the default loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


# ---- worker side -----------------------------------------------------------------------------------------


async def _serve(app_name: str, out: TextIO) -> None:
    loop = asyncio.get_running_loop()

    def reply(payload: dict[str, Any]) -> None:
        out.write(json.dumps(payload) + "\n")
        out.flush()

    try:
        runner = InProcessApp(load_app(app_name))
        await runner.start()
    except Exception as exc:  # reported to the parent, which decides what to do
        reply({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
        return
    reply({"ok": True})
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        command = json.loads(line)
        if command["cmd"] == "stop":
            break
        try:
            reply({"ok": True, **await _command(runner, command)})
        except Exception as exc:
            reply({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
    await runner.stop()
    reply({"ok": True, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss})


async def _command(runner: InProcessApp, command: dict[str, Any]) -> dict[str, Any]:
    ep = endpoint(command["endpoint"])
    if command["cmd"] == "check":
        status, headers, body = await runner.request(ep)
        content_type = next((v.decode("latin-1") for k, v in headers if k.lower() == b"content-type"), None)
        return {"status": status, "content_type": content_type, "body": body.decode("latin-1")}
    if command["cmd"] == "run":
        return await runner.bench(ep, float(command["seconds"]))
    raise ValueError(f"unknown command {command['cmd']!r}")


def _worker_main(app_name: str) -> None:
    # The protocol gets the real stdout; anything the app prints goes to stderr instead.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    with new_runner() as runner:
        runner.run(_serve(app_name, out))


# ---- parent side -----------------------------------------------------------------------------------------


class Worker:
    """One app's worker subprocess; every exchange is bounded by a timeout, and it is stopped by its PID."""

    def __init__(self, app_name: str, python: str = sys.executable) -> None:
        self.app_name = app_name
        self.process = subprocess.Popen(
            [python, "-m", "benchmarks.inprocess", app_name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )

    def ready(self, timeout: float = 120.0) -> dict[str, Any]:
        return self._read(timeout)

    def call(self, command: dict[str, Any], timeout: float) -> dict[str, Any]:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(command) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            raise RuntimeError(f"{self.app_name}: worker exited (code {self.process.poll()})") from None
        return self._read(timeout)

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                raise TimeoutError(f"{self.app_name}: no answer within {timeout}s")
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.app_name}: worker exited (code {self.process.poll()})")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def stop(self, timeout: float = 30.0) -> int | None:
        """Shut the app down through its lifespan; returns the worker's peak RSS in KiB when it answered."""
        maxrss = None
        try:
            if self.process.poll() is None:
                maxrss = self.call({"cmd": "stop"}, timeout).get("maxrss_kb")
        except (TimeoutError, RuntimeError, BrokenPipeError, ValueError):
            pass
        finally:
            _end(self.process, timeout)
        return maxrss


def _end(process: subprocess.Popen[Any], timeout: float) -> None:
    """Wait for a process we started; terminate, then kill it by its PID if it does not exit."""
    for sig_action in (None, process.terminate, process.kill):
        if sig_action is not None:
            sig_action()
        try:
            process.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue


def run_coroutine(coroutine: Coroutine[Any, Any, Any]) -> Any:
    with new_runner() as runner:
        return runner.run(coroutine)


if __name__ == "__main__":
    _worker_main(sys.argv[1])
