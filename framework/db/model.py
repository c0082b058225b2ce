"""The declarative base for the application's tables.

A naming convention on the metadata gives every index and constraint a deterministic name, so Alembic can
generate, compare and drop them by name on every backend (SQLite batch migrations need the names too).
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

__all__ = ["NAMING_CONVENTION", "Model"]

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Model(DeclarativeBase):
    """Base class of the application's ORM models; `Model.metadata` is what migrations compare against."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
