"""The `framework` console script: pluggable commands, `routes` table, `run` under uvicorn."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from dependency_injector import containers, providers

from framework.applications import Application
from framework.bootstrap import create_app
from framework.cli import COMMANDS, build_parser, main
from framework.controllers import controller, get, post, websocket
from framework.di import RequestScoped
from framework.requests import Request
from framework.responses import PlainTextResponse
from framework.routing import Mount, Route
from framework.websockets import WebSocket

ROOT = Path(__file__).resolve().parents[2]


class Clock:
    pass


class NoteRepository:
    pass


class NoteService:
    def __init__(self, notes: NoteRepository, clock: Clock) -> None:
        self.notes = notes
        self.clock = clock


class Container(containers.DeclarativeContainer):
    clock = providers.Singleton(Clock)
    note_repository = RequestScoped(NoteRepository)
    note_service = providers.Factory(NoteService, notes=note_repository, clock=clock)


@controller("/notes", name="notes")
class NoteController:
    def __init__(self, service: NoteService, clock: Clock) -> None:
        self.service = service

    @get("/")
    async def list_notes(self) -> list[str]:
        return ["first"]

    @post("/", status_code=201)
    async def create_note(self) -> None:
        return None

    @websocket("/live")
    async def watch_notes(self, websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.close()


async def health(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def build_app() -> Application:
    return create_app(
        Container(),
        controllers=[NoteController],
        routes=[Route("/health", health), Mount("/admin", routes=[Route("/stats", health, name="stats")])],
        openapi=False,
    )


app = build_app()


def test_commands_are_pluggable_modules() -> None:
    assert [command.__name__ for command in COMMANDS] == [
        "framework.cli.run",
        "framework.cli.routes",
        "framework.cli.db",
    ]
    parser = build_parser()
    assert parser.parse_args(["routes", "pkg:app"]).command == "routes"
    with pytest.raises(SystemExit):
        parser.parse_args([])


def test_routes_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", "tests.app.test_cli:app"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "METHODS   PATH          NAME               HANDLER                     PROVIDERS",
        "GET,HEAD  /notes        notes:list_notes   NoteController.list_notes   note_service, clock",
        "POST      /notes        notes:create_note  NoteController.create_note  note_service, clock",
        "WS        /notes/live   notes:watch_notes  NoteController.watch_notes  note_service, clock",
        "GET,HEAD  /health       health             tests.app.test_cli.health",
        "GET,HEAD  /admin/stats  stats              tests.app.test_cli.health",
    ]


@pytest.mark.parametrize(
    "arguments", [["tests.app.test_cli:build_app()"], ["tests.app.test_cli:build_app", "--factory"]]
)
def test_routes_calls_a_factory(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", *arguments]) == 0
    assert "NoteController.list_notes" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("tests.app.test_cli", "APP must look like 'package.module:app' or 'package.module:build_app()'"),
        ("tests.app.nowhere:app", "Cannot import module 'tests.app.nowhere' (run from the project directory?)."),
        (
            "tests.app.test_cli:build_app",
            "'tests.app.test_cli:build_app' is a function without arguments, not an ASGI application. If it builds "
            "the app, write 'tests.app.test_cli:build_app()' or pass --factory.",
        ),
        ("tests.app.test_cli:missing", "Module 'tests.app.test_cli' has no attribute 'missing'."),
        ("tests.app.test_cli:ROOT", "'tests.app.test_cli:ROOT' is not an ASGI application (got PosixPath)."),
        (
            "tests.app.test_cli:app()",
            "'tests.app.test_cli:app()' names a factory, but 'app' cannot be called without arguments "
            "(missing a required argument: 'scope'). If it is the app itself, drop the '()' or --factory.",
        ),
    ],
)
def test_bad_app_argument_is_a_clear_error(spec: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", spec]) == 2
    error = capsys.readouterr().err
    assert error.startswith("framework routes: ")
    assert message in error


MISCONFIGURED = """
from dependency_injector import containers
from framework.bootstrap import create_app
from framework.controllers import controller, get

@controller("/broken")
class BrokenController:
    @get("/{item_id}")
    async def get_item(self) -> None: ...

class Container(containers.DeclarativeContainer):
    pass

app = create_app(Container(), controllers=[BrokenController])
"""


@pytest.mark.parametrize("command", ["routes", "run"])
def test_a_start_up_error_is_one_line_not_a_traceback(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "misconfigured_app.py").write_text(MISCONFIGURED)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main([command, "misconfigured_app:app"]) == 2
    error = capsys.readouterr().err
    assert error == (
        f"framework {command}: 'misconfigured_app:app' failed to start: BrokenController.get_item: path parameter "
        "'item_id' has no argument; add 'item_id: str'.\n"
    )


def test_run_refuses_reload_with_workers() -> None:
    with pytest.raises(SystemExit, match="--reload and --workers cannot be combined"):
        main(["run", "tests.app.test_cli:app", "--reload", "--workers", "2"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_run_serves_the_app_with_uvicorn() -> None:
    port = _free_port()
    command = [sys.executable, "-m", "framework.cli", "run", "tests.app.test_cli:build_app()", "--port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        response = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and server.poll() is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/notes", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert response is not None, server.stdout.read().decode() if server.stdout else "no output"
        assert (response.status_code, response.json()) == (200, ["first"])
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout:
            server.stdout.close()
