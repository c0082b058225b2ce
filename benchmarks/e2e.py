"""The end-to-end driver: each app under uvicorn (one worker, uvloop + httptools), loaded by wrk.

The server is a subprocess we start on a free 127.0.0.1 port and stop by its PID. Its CPU time per
request comes from /proc/<pid>/stat (all its threads, so aiosqlite's worker thread counts), its peak RSS
from /proc/<pid>/status.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.spec import Endpoint, app_spec

__all__ = ["Server", "free_port", "run_wrk", "server"]

ROOT = Path(__file__).resolve().parent.parent
_TICKS = os.sysconf("SC_CLK_TCK")
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """A uvicorn process serving one app."""

    def __init__(self, app_name: str, python: str = sys.executable, ws: str = "auto") -> None:
        self.app_name = app_name
        self.port = free_port()
        command = [python, "-m", "uvicorn", app_spec(app_name).target, "--host", "127.0.0.1", "--port"]
        command += [str(self.port), "--loop", "uvloop", "--http", "httptools", "--ws", ws]
        command += ["--no-access-log", "--log-level", "warning", "--lifespan", "on"]
        self.process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL)
        self.pid = self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.app_name}: uvicorn exited with code {self.process.returncode}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/plaintext")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.app_name}: not ready within {timeout}s")

    def request(self, ep: Endpoint) -> tuple[int, str | None, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"content-type": "application/json"} if ep.method == "POST" else {}
        connection.request(ep.method, ep.path, body=ep.body or None, headers=headers)
        response = connection.getresponse()
        result = response.status, response.getheader("content-type"), response.read()
        connection.close()
        return result

    def cpu_seconds(self) -> float:
        """User + system CPU of the server process (all threads) so far."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS

    def memory_kb(self, field: str = "VmHWM") -> int:
        """A memory figure from /proc/<pid>/status: VmHWM is the peak RSS, VmRSS the current one."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        return 0

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (uvicorn runs the lifespan shutdown), then SIGKILL if it does not exit in time."""
        for action in (self.process.terminate, self.process.kill):
            if self.process.poll() is not None:
                return
            action()
            try:
                self.process.wait(timeout=timeout)
                return
            except subprocess.TimeoutExpired:
                continue


@contextmanager
def server(app_name: str, python: str = sys.executable, ws: str = "auto") -> Iterator[Server]:
    running = Server(app_name, python, ws)
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


def _lua(ep: Endpoint, directory: Path) -> Path | None:
    if ep.method == "GET":
        return None
    path = directory / f"{ep.name}.lua"
    body = ep.body.decode().replace("\\", "\\\\").replace("'", "\\'")
    path.write_text(
        f"wrk.method = '{ep.method}'\nwrk.body = '{body}'\nwrk.headers['Content-Type'] = 'application/json'\n"
    )
    return path


def _latency_ms(text: str, percentile: str) -> float | None:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    return float(match.group(1)) * _UNITS[match.group(2)] if match else None


def run_wrk(running: Server, ep: Endpoint, seconds: float, connections: int = 32) -> dict[str, Any]:
    """One wrk run against the server; the server's CPU is read around it."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk; `make bench` does it)")
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as directory:
        script = _lua(ep, Path(directory))
        command = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "5s"]
        if script is not None:
            command += ["-s", str(script)]
        command.append(running.base_url + ep.path)
        cpu0 = running.cpu_seconds()
        completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
        cpu = running.cpu_seconds() - cpu0
    output = completed.stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors:(.*)", output)
    requests = int(total.group(1)) if total else 0
    return {
        "requests": requests,
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": _latency_ms(output, "50"),
        "p99_ms": _latency_ms(output, "99"),
        "server_cpu_us": 1e6 * cpu / requests if requests else None,
        "errors": (int(bad.group(1)) if bad else 0)
        + (sum(map(int, re.findall(r"\d+", socket_errors.group(1)))) if socket_errors else 0),
        "socket_errors": socket_errors.group(1).strip() if socket_errors else None,
    }
