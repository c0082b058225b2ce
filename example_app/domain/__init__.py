"""The task board's vocabulary: ORM models, the schemas clients send and receive, and domain errors."""

from __future__ import annotations

__all__: list[str] = []
