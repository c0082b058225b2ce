"""Database access with one ACID transaction per request, on SQLite and PostgreSQL.

`Database` owns the engine; `RequestSession` provides the request's session and commits it before the
response starts; `Repository` and `Model` shape the data access; `transactional`, `retryable`, `on_commit`
and `begin_write` refine a unit of work.
"""

from __future__ import annotations

from framework.db.database import Database
from framework.db.errors import database_exception_handlers
from framework.db.model import NAMING_CONVENTION, Model
from framework.db.repository import InvalidQuery, Repository
from framework.db.retry import retryable
from framework.db.transaction import transactional
from framework.db.unit_of_work import RequestSession, begin_write, on_commit

__all__ = [
    "NAMING_CONVENTION",
    "Database",
    "InvalidQuery",
    "Model",
    "Repository",
    "RequestSession",
    "begin_write",
    "database_exception_handlers",
    "on_commit",
    "retryable",
    "transactional",
]
