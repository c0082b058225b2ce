"""The apps and endpoints under test: one table each, shared by every driver and the report."""

from __future__ import annotations

import importlib
import importlib.util
import json
from dataclasses import dataclass
from typing import Any

__all__ = [
    "APPS",
    "ENDPOINTS",
    "FRAMEWORK_APPS",
    "PEERS",
    "AppSpec",
    "Endpoint",
    "app_names",
    "app_spec",
    "endpoint",
    "endpoint_names",
    "is_available",
    "load_app",
]


@dataclass(frozen=True)
class AppSpec:
    name: str
    module: str  # under benchmarks.apps; the ASGI callable is its `app`
    requires: str | None  # the distribution the app needs beyond the framework's own dependencies

    @property
    def target(self) -> str:
        return f"benchmarks.apps.{self.module}:app"


@dataclass(frozen=True)
class Endpoint:
    name: str  # the key used on the command line and in the results
    method: str
    path: str
    label: str  # how the report names it
    body: bytes = b""
    status: int = 200

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench"), (b"accept", b"*/*")]
        if self.method == "POST":
            headers += [(b"content-type", b"application/json"), (b"content-length", str(len(self.body)).encode())]
        return headers


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


APPS: tuple[AppSpec, ...] = (
    AppSpec("raw", "raw", None),
    AppSpec("starlette", "starlette_app", "starlette"),
    AppSpec("fastapi", "fastapi_app", "fastapi"),
    AppSpec("litestar", "litestar_app", "litestar"),
    AppSpec("blacksheep", "blacksheep_app", "blacksheep"),
    AppSpec("framework-toolkit", "framework_toolkit", None),
    AppSpec("framework-controller", "framework_controller", None),
)
PEERS: tuple[str, ...] = ("starlette", "fastapi", "litestar", "blacksheep")
FRAMEWORK_APPS: tuple[str, ...] = ("framework-toolkit", "framework-controller")

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("plaintext", "GET", "/plaintext", "GET /plaintext"),
    Endpoint("json", "GET", "/json", "GET /json"),
    Endpoint("params", "GET", "/users/42/items/abc", "GET /users/{user_id:int}/items/{item_id}"),
    Endpoint(
        "echo",
        "POST",
        "/echo",
        "POST /echo",
        body=_json({"name": "widget", "tags": ["a", "b", "c"], "price": 9.5, "count": 3, "active": True}),
    ),
    Endpoint("di", "GET", "/di", "GET /di (3 injected objects)"),
    Endpoint("mw", "GET", "/mw/json", "GET /mw/json (3 middlewares)"),
    Endpoint("db-read", "GET", "/db/500", "GET /db/{id:int} (SQLite read)"),
    Endpoint(
        "db-write", "POST", "/db", "POST /db (SQLite insert)", body=_json({"name": "new", "price": 2.5}), status=201
    ),
)

_APPS_BY_NAME = {spec.name: spec for spec in APPS}
_ENDPOINTS_BY_NAME = {endpoint.name: endpoint for endpoint in ENDPOINTS}


def app_names(selection: str | None) -> list[str]:
    """The apps named in a comma-separated selection (all when None), in table order; unknown names fail."""
    return _select(selection, _APPS_BY_NAME)


def endpoint_names(selection: str | None) -> list[str]:
    return _select(selection, _ENDPOINTS_BY_NAME)


def _select(selection: str | None, table: dict[str, Any]) -> list[str]:
    if not selection:
        return list(table)
    wanted = [name.strip() for name in selection.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in table]
    if unknown:
        raise SystemExit(f"unknown name(s) {', '.join(unknown)}; choose from {', '.join(table)}")
    return [name for name in table if name in wanted]


def app_spec(name: str) -> AppSpec:
    return _APPS_BY_NAME[name]


def endpoint(name: str) -> Endpoint:
    return _ENDPOINTS_BY_NAME[name]


def load_app(name: str) -> Any:
    """Import the app's module and return its ASGI callable."""
    return importlib.import_module(f"benchmarks.apps.{_APPS_BY_NAME[name].module}").app


def is_available(name: str) -> bool:
    """Whether the app's extra distribution is installed here (the peers only live in .venv-bench)."""
    requires = _APPS_BY_NAME[name].requires
    return requires is None or importlib.util.find_spec(requires) is not None
