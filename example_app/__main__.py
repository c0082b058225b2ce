"""`python -m example_app`: migrate the database, then serve the task board (what `make run` does)."""

from __future__ import annotations

import argparse
import subprocess
import sys

import uvicorn

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Apply pending migrations, then run uvicorn on `--host`/`--port`."""
    parser = argparse.ArgumentParser(prog="python -m example_app", description="Run the task board.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-migrate", action="store_true", help="serve without applying migrations first")
    options = parser.parse_args(argv)
    if not options.no_migrate:
        command = [sys.executable, "-m", "framework.cli", "db", "upgrade", "--app", "example_app.app:build_app()"]
        subprocess.run(command, check=True)
    uvicorn.run("example_app.app:build_app", factory=True, host=options.host, port=options.port)


if __name__ == "__main__":
    main()
