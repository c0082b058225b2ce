"""Business rules of the task board; services flush through repositories and never commit."""

from __future__ import annotations

__all__: list[str] = []
