"""Benchmarks of `framework` against its peers: run with `python -m benchmarks` (or `make bench`).

The peer apps need Starlette, FastAPI, Litestar and BlackSheep, which live only in `.venv-bench`; the
framework apps and the in-process driver also run in the normal `.venv` (the smoke test uses them there).
"""

from __future__ import annotations

__all__: list[str] = []
