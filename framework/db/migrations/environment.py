"""`run_migrations()`: the whole body of an async Alembic env.py.

Online migrations run on an async engine (the app's own driver), inside one transaction: on SQLite the
connection gets real BEGIN/COMMIT (so a failing migration leaves nothing half-done) and `render_as_batch`
so ALTERs become table copies; foreign keys are off there while tables are rebuilt.
"""

from __future__ import annotations

import asyncio
import logging.config
import threading
from typing import Any

from alembic import context
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from framework.db.migrations.targets import (
    APP_OPTION,
    METADATA_ATTRIBUTE,
    METADATA_OPTION,
    URL_ATTRIBUTE,
    database_url_of,
    load_application,
    load_metadata,
)
from framework.db.sqlite import configure_sqlite

__all__ = ["run_migrations"]


def _target() -> tuple[str, MetaData]:
    config = context.config
    url: str | None = config.attributes.get(URL_ATTRIBUTE)
    metadata: MetaData | None = config.attributes.get(METADATA_ATTRIBUTE)
    if url is None or metadata is None:
        app_spec = config.get_main_option(APP_OPTION)
        app = load_application(app_spec) if app_spec else None
        url = url or database_url_of(app)
        metadata = metadata or load_metadata(config.get_main_option(METADATA_OPTION))
    return url, metadata


def _configure(metadata: MetaData, is_sqlite: bool, **options: Any) -> None:
    context.configure(target_metadata=metadata, render_as_batch=is_sqlite, compare_type=True, **options)


def _migrate(connection: Connection, metadata: MetaData) -> None:
    _configure(metadata, connection.dialect.name == "sqlite", connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _migrate_async(url: str, metadata: MetaData) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine.sync_engine, foreign_keys=False)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate, metadata)
    finally:
        await engine.dispose()


def _run_in_own_loop(url: str, metadata: MetaData) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_migrate_async(url, metadata))
        return
    # Called from async code (a test, an app's start-up): run on a private loop rather than fail.
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(_migrate_async(url, metadata))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target, name="framework-migrations")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def run_migrations() -> None:
    """Run the migrations Alembic asked for (online on an async engine, or offline as SQL)."""
    config = context.config
    if config.config_file_name is not None and config.file_config.has_section("loggers"):
        logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)
    url, metadata = _target()
    if context.is_offline_mode():
        _configure(metadata, make_url(url).get_backend_name() == "sqlite", url=url, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _migrate(connection, metadata)  # a caller shares its connection (programmatic use)
        return
    _run_in_own_loop(url, metadata)
