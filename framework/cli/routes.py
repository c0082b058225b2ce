"""`framework routes APP`: the route table, with the container providers each controller pulls."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from typing import Any

from framework.cli._loading import load_app
from framework.controllers.compiler import ControllerRoute
from framework.routing import BaseRoute, Host, Mount, Route, WebSocketRoute

__all__ = ["format_table", "register", "route_rows", "routes"]

HEADERS = ("METHODS", "PATH", "NAME", "HANDLER", "PROVIDERS")


def register(subparsers: Any) -> None:
    """Add the `routes` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "routes", help="list an app's routes", description="Print the routes of APP as a table."
    )
    parser.add_argument("app", metavar="APP", help="'package.module:app', or 'package.module:build_app()' to call it")
    parser.add_argument("--factory", action="store_true", help="APP is a factory to call for the app")
    parser.set_defaults(handler=routes)


def routes(args: argparse.Namespace) -> int:
    app = load_app(args.app, factory=args.factory)
    print(format_table(list(route_rows(getattr(app, "routes", ())))))
    return 0


def route_rows(app_routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str, str, str, str]]:
    """One row per route (mounts expanded): methods, path, name, handler, providers."""
    for route in app_routes:
        if isinstance(route, Mount):
            if route.routes:
                yield from route_rows(route.routes, prefix + route.path)
            else:
                yield ("*", prefix + route.path + "/...", route.name or "", _qualname(route.app), "")
        elif isinstance(route, Host):
            yield from route_rows(getattr(route.app, "routes", ()), prefix)
        elif isinstance(route, Route | WebSocketRoute):
            yield _row(route, prefix)


def _row(route: Route | WebSocketRoute, prefix: str) -> tuple[str, str, str, str, str]:
    meta = getattr(route.endpoint, "__framework_route__", None)
    methods = _methods(route, meta)
    if isinstance(meta, ControllerRoute):
        return methods, prefix + route.path, route.name, meta.handler, ", ".join(meta.providers)
    return methods, prefix + route.path, route.name, _qualname(route.endpoint), ""


def _methods(route: Route | WebSocketRoute, meta: object) -> str:
    if isinstance(route, WebSocketRoute):
        return "WS"
    if isinstance(meta, ControllerRoute):
        return ",".join(meta.methods)  # declaration order, GET before its HEAD
    return ",".join(sorted(route.methods)) if route.methods else "*"


def _qualname(value: Any) -> str:
    target = getattr(value, "__qualname__", None) or type(value).__qualname__
    module = getattr(value, "__module__", None) or type(value).__module__
    return f"{module}.{target}"


def format_table(rows: Sequence[tuple[str, ...]]) -> str:
    """Left-aligned columns under a header; empty tables still show the header."""
    table = [HEADERS, *rows]
    widths = [max(len(row[column]) for row in table) for column in range(len(HEADERS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in table]
    return "\n".join(lines)
