"""`Repository[ModelT]`: the data access of one model, flushing but never committing.

The request's unit of work decides when to commit; a repository only queues and flushes changes, so a
service can combine several repositories in one transaction. Sorting comes from an allow-list, because an
`order_by` taken from a query string must not reach arbitrary columns (or relationships, or SQL).
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.elements import ColumnElement

from framework.problems import DomainError, NotFound

__all__ = ["InvalidQuery", "Repository"]

ModelT = TypeVar("ModelT", bound=DeclarativeBase)


class InvalidQuery(DomainError, ValueError):
    """A list query the repository refuses (unknown ordering, negative offset, limit out of range): 422."""

    status = 422
    title = "Invalid query"


class Repository(Generic[ModelT]):
    """Base class for repositories: `class UserRepository(Repository[User]): ordering = ("name", "id")`.

    `ordering` lists the column attributes `list(order_by=...)` accepts ("name" ascending, "-name"
    descending); `max_limit` caps page sizes. The model is taken from the type argument.
    """

    model: ClassVar[type[Any]]
    ordering: ClassVar[Sequence[str]] = ()
    max_limit: ClassVar[int] = 1000

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in getattr(cls, "__orig_bases__", ()):
            if typing.get_origin(base) is Repository:
                (argument,) = typing.get_args(base)
                if isinstance(argument, type):
                    cls.model = argument
        cls._order_columns = None  # resolved on first use: the mappers may not be configured yet

    _order_columns: ClassVar[dict[str, ColumnElement[Any]] | None] = None

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, ident: Any) -> ModelT:
        """The row with this primary key; `NotFound` (404) when there is none."""
        instance = await self.get_or_none(ident)
        if instance is None:
            raise NotFound(f"{self.model.__name__} {ident} does not exist.")
        return instance

    async def get_or_none(self, ident: Any) -> ModelT | None:
        """The row with this primary key, or None."""
        instance: ModelT | None = await self.session.get(self.model, ident)
        return instance

    async def list(self, *, limit: int = 100, offset: int = 0, order_by: str | None = None) -> list[ModelT]:
        """A page of rows, ordered by `order_by` (from `ordering`; "-" prefix for descending), then the key."""
        if not 0 <= limit <= self.max_limit:
            raise InvalidQuery(f"limit must be between 0 and {self.max_limit}, got {limit}.")
        if offset < 0:
            raise InvalidQuery(f"offset must not be negative, got {offset}.")
        statement = select(self.model)
        if order_by:
            statement = statement.order_by(self._order_clause(order_by))
        statement = statement.order_by(*sa_inspect(self.model).primary_key).limit(limit).offset(offset)
        result = await self.session.scalars(statement)
        return list(result.all())

    def _order_clause(self, order_by: str) -> ColumnElement[Any]:
        descending = order_by.startswith("-")
        name = order_by[1:] if descending else order_by
        columns = type(self)._order_columns
        if columns is None:
            columns = type(self)._order_columns = _order_columns(type(self), self.model)
        column = columns.get(name)
        if column is None:
            allowed = ", ".join(sorted(columns)) or "none"
            raise InvalidQuery(f"Cannot order by {name!r}; allowed: {allowed}.")
        return column.desc() if descending else column.asc()

    async def add(self, instance: ModelT) -> ModelT:
        """Add a new row and flush, so database defaults and the primary key are set (and errors show now)."""
        self.session.add(instance)
        await self.session.flush()
        return instance

    async def remove(self, instance: ModelT) -> None:
        """Delete the row and flush."""
        await self.session.delete(instance)
        await self.session.flush()


def _order_columns(cls: type, model: type[Any]) -> dict[str, ColumnElement[Any]]:
    """Resolve the allow-list once per class; a name that is not a column attribute is a programming error."""
    mapper = sa_inspect(model)
    columns: dict[str, ColumnElement[Any]] = {}
    for name in getattr(cls, "ordering", ()):
        attribute = mapper.column_attrs.get(name)
        if attribute is None:
            raise TypeError(f"{cls.__name__}.ordering: {model.__name__} has no column attribute {name!r}.")
        columns[name] = attribute.expression
    return columns
