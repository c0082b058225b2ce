"""`framework run APP`: serve the app with uvicorn."""

from __future__ import annotations

import argparse
from typing import Any

from framework.cli._loading import load_app, split_app_spec

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the `run` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "run", help="serve an app with uvicorn", description="Serve APP ('module:app' or 'module:build_app()')."
    )
    parser.add_argument("app", metavar="APP", help="'package.module:app', or 'package.module:build_app()' to call it")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default: %(default)s)")
    parser.add_argument("--reload", action="store_true", help="restart when source files change (development)")
    parser.add_argument("--workers", type=int, default=None, help="number of worker processes")
    parser.add_argument("--factory", action="store_true", help="APP is a factory to call for the app")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Build APP (a clear error now rather than in a worker), then hand it to uvicorn."""
    import uvicorn

    module, attribute, factory = split_app_spec(args.app, args.factory)
    if args.reload and args.workers:
        raise SystemExit("framework run: --reload and --workers cannot be combined.")
    app = load_app(args.app, factory=args.factory)  # fail fast on a wrong APP
    # Reloading and worker processes import the app themselves; a single process serves the app just built
    # rather than importing the module (and calling the factory) a second time.
    spawns = bool(args.reload or args.workers)
    uvicorn.run(
        f"{module}:{attribute}" if spawns else app,
        host=args.host,
        port=args.port,
        reload=args.reload,
        workers=args.workers,
        factory=factory and spawns,
        log_level=args.log_level,
    )
    return 0
