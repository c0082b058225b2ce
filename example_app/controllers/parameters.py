"""Parameter types shared by the controllers: bounded ids and pagination."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from framework.binding import Query

__all__ = ["Limit", "Offset", "RowId"]

# Ids are 32-bit on PostgreSQL: a larger number cannot name a row, and must not reach the driver as one.
RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Limit = Query[Annotated[int, Field(ge=1, le=100, description="Page size (1-100).")]]
Offset = Query[Annotated[int, Field(ge=0, le=1_000_000, description="Items to skip.")]]
