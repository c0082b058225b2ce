"""One ASGI app per file, all doing the same work per endpoint (see `benchmarks.spec` for the endpoints)."""

from __future__ import annotations

__all__: list[str] = []
