"""`framework db ...` and the models-vs-migrations check, on SQLite and PostgreSQL, in throwaway directories."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from framework.cli import build_parser
from framework.cli import db as db_command
from framework.db.migrations import assert_migrations_match_models

APP_MODULE = """
from dependency_injector import containers, providers
from sqlalchemy import MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from framework.bootstrap import create_app
from framework.db import NAMING_CONVENTION, Database


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


class Extended(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ItemWithPrice(Extended):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    price: Mapped[int]


class Container(containers.DeclarativeContainer):
    database = providers.Singleton(Database, url=URL)


def build_app():
    return create_app(Container(), openapi=False)
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
        return
    base = make_url(request.getfixturevalue("postgres_url"))
    name = f"mig_{uuid.uuid4().hex[:12]}"
    yield from _postgres_database(base.render_as_string(hide_password=False), name)


def _postgres_database(url: str, name: str) -> Iterator[str]:
    async def run(statement: str) -> None:
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[str]:
    """A project directory with an app module (unique name) using `database_url`; returns the module name."""
    module = f"mig_app_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(f"URL = {database_url!r}\n" + textwrap.dedent(APP_MODULE))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield module
    sys.modules.pop(module, None)


def framework_db(*argv: str) -> int:
    args = build_parser([db_command]).parse_args(["db", *argv])
    status: int = args.handler(args)
    return status


def _tables(url: str) -> set[str]:
    if make_url(url).get_backend_name() == "sqlite":
        with sqlite3.connect(make_url(url).database or "") as connection:
            rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return {row[0] for row in rows}

    async def names() -> set[str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
        finally:
            await engine.dispose()

    return asyncio.run(names())


def test_init_revision_upgrade_check_current_downgrade(
    project: str, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app = f"{project}:build_app"
    metadata = f"{project}:Base.metadata"
    assert framework_db("init", "migrations", "--app", app) == 0
    ini = Path("alembic.ini").read_text()
    assert "script_location = migrations" in ini
    assert f"framework_app = {app}" in ini
    assert "sqlalchemy.url" not in ini  # the URL comes from the app
    assert "run_migrations()" in Path("migrations/env.py").read_text()

    assert framework_db("revision", "--autogenerate", "-m", "create items", "--metadata", metadata) == 0
    (script,) = Path("migrations/versions").glob("*create_items.py")
    assert "op.create_table" in script.read_text()
    assert "uq_items_name" in script.read_text()  # the naming convention gives stable constraint names

    assert "items" not in _tables(database_url)
    assert framework_db("upgrade", "--metadata", metadata) == 0
    assert "items" in _tables(database_url)
    capsys.readouterr()
    assert framework_db("check", "--metadata", metadata) == 0
    assert "agree" in capsys.readouterr().out

    assert framework_db("check", "--metadata", f"{project}:Extended.metadata") == 1
    error = capsys.readouterr().err
    assert "the models and the migrations disagree" in error
    assert "add_column" in error
    assert "price" in error

    assert framework_db("current", "--metadata", metadata) == 0
    assert framework_db("downgrade", "base", "--metadata", metadata) == 0
    assert "items" not in _tables(database_url)
    capsys.readouterr()
    assert framework_db("check", "--metadata", metadata) == 1
    assert "Run `framework db upgrade` first" in capsys.readouterr().err


def test_upgrade_on_an_empty_database_creates_the_schema_and_check_passes(project: str, database_url: str) -> None:
    metadata = f"{project}:Base.metadata"
    assert framework_db("init", "--app", f"{project}:build_app") == 0
    assert framework_db("revision", "--autogenerate", "-m", "initial", "--metadata", metadata) == 0
    assert framework_db("upgrade", "--metadata", metadata) == 0
    assert {"items", "alembic_version"} <= _tables(database_url)
    assert framework_db("check", "--metadata", metadata) == 0


def test_missing_configuration_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert framework_db("upgrade") == 1
    assert "run `framework db init`" in capsys.readouterr().err


def test_assert_migrations_match_models_passes_and_fails(project: str, database_url: str) -> None:
    module = __import__(project)
    assert framework_db("init", "--app", f"{project}:build_app") == 0
    assert framework_db("revision", "--autogenerate", "-m", "initial", "--metadata", f"{project}:Base.metadata") == 0
    assert_migrations_match_models(database_url, module.Base.metadata)
    with pytest.raises(AssertionError, match=r"models and the migrations disagree(.|\n)*price"):
        assert_migrations_match_models(database_url, module.Extended.metadata, downgrade=False)


def test_env_py_works_with_plain_alembic_reading_the_app_from_alembic_ini(project: str, database_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    assert framework_db("init", "--app", f"{project}:build_app") == 0
    ini = (
        Path("alembic.ini")
        .read_text()
        .replace(
            "# framework_metadata = package.models:Model.metadata", f"framework_metadata = {project}:Base.metadata"
        )
    )
    Path("alembic.ini").write_text(ini)
    config = Config("alembic.ini")
    command.revision(config, message="initial", autogenerate=True)
    command.upgrade(config, "head")
    assert "items" in _tables(database_url)
