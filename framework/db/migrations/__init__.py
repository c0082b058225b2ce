"""Alembic integration: env.py in one call, commands for `framework db`, and a models-vs-migrations check.

A project's `alembic/env.py` is just `from framework.db.migrations import run_migrations; run_migrations()`
(`framework db init` writes it); the database URL comes from the application's settings and the metadata from
its models, so alembic.ini never duplicates the URL.
"""

from __future__ import annotations

from framework.db.migrations.checks import assert_migrations_match_models, database_revisions, model_differences
from framework.db.migrations.environment import run_migrations
from framework.db.migrations.targets import database_url_of, load_application, load_metadata, make_config

__all__ = [
    "assert_migrations_match_models",
    "database_revisions",
    "database_url_of",
    "load_application",
    "load_metadata",
    "make_config",
    "model_differences",
    "run_migrations",
]
