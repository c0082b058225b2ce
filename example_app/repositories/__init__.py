"""Queries of the task board, one repository per aggregate; they flush, the request's unit of work commits."""

from __future__ import annotations

__all__: list[str] = []
