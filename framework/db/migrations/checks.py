"""Comparing the models with what the migrations build: for `framework db check` and for tests."""

from __future__ import annotations

import asyncio
import pprint
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from framework.db.migrations.targets import make_config

__all__ = ["assert_migrations_match_models", "database_revisions", "model_differences"]


def _in_private_loop(coroutine: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        return executor.submit(asyncio.run, coroutine).result()


async def _inspect(url: str, metadata: MetaData) -> tuple[list[Any], set[str]]:
    engine = create_async_engine(url, poolclass=pool.NullPool)

    def compare(connection: Connection) -> tuple[list[Any], set[str]]:
        migration_context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": connection.dialect.name == "sqlite"}
        )
        return list(compare_metadata(migration_context, metadata)), set(migration_context.get_current_heads())

    try:
        async with engine.connect() as connection:
            result: tuple[list[Any], set[str]] = await connection.run_sync(compare)
            return result
    finally:
        await engine.dispose()


def model_differences(url: str, metadata: MetaData) -> list[Any]:
    """Alembic's autogenerate diff between the database at `url` and `metadata` (empty when they agree)."""
    differences, _ = _in_private_loop(_inspect(url, metadata))
    return list(differences)


def database_revisions(url: str, metadata: MetaData) -> set[str]:
    """The revisions the database at `url` is stamped with."""
    _, heads = _in_private_loop(_inspect(url, metadata))
    return set(heads)


def assert_migrations_match_models(
    url: str,
    metadata: MetaData,
    *,
    script_location: str | Path | None = None,
    config_file: str | Path | None = "alembic.ini",
    downgrade: bool = True,
) -> None:
    """Upgrade an empty database at `url` to head and fail (AssertionError) if the models differ from it.

    With `downgrade=True` the migrations are also run down to base and up again, so every downgrade is
    exercised. Use a throwaway database: a SQLite file in `tmp_path` or a per-test PostgreSQL database.
    """
    config = make_config(config_file, url=url, metadata=metadata, script_location=script_location)
    command.upgrade(config, "head")
    if downgrade:
        command.downgrade(config, "base")
        command.upgrade(config, "head")
    heads = set(ScriptDirectory.from_config(config).get_heads())
    differences = model_differences(url, metadata)
    if differences:
        raise AssertionError(
            "The models and the migrations disagree; generate a revision (framework db revision --autogenerate "
            f"-m '...') and review it. Differences:\n{pprint.pformat(differences, indent=2, width=120)}"
        )
    current = database_revisions(url, metadata)
    if current != heads:
        raise AssertionError(f"After upgrading, the database is at {sorted(current)}, not at head {sorted(heads)}.")
