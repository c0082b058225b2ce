"""Alembic migrations: `framework db upgrade` builds the schema the models describe, on SQLite and PostgreSQL,
and every downgrade runs."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from example_app.app import build_app
from example_app.container import Container
from framework.db import Model
from framework.db.migrations import assert_migrations_match_models
from framework.testclient import TestClient
from framework.testing import overrides
from tests.example_app.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
ALEMBIC_INI = ROOT / "alembic.ini"


def _framework_db(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DATABASE_URL": database_url}
    command = [sys.executable, "-m", "framework.cli", "db", *args, "--app", "example_app.app:build_app()"]
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120, check=False)


def test_cli_upgrade_creates_the_schema_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    result = _framework_db("upgrade", database_url=f"sqlite+aiosqlite:///{path}")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    assert tables >= {"users", "projects", "project_members", "tasks", "activity_log"}
    assert version == [("0002",)]
    again = _framework_db("upgrade", database_url=f"sqlite+aiosqlite:///{path}")
    assert again.returncode == 0, again.stderr  # nothing left to apply
    check = _framework_db("check", database_url=f"sqlite+aiosqlite:///{path}")
    assert check.returncode == 0, check.stderr


def test_cli_downgrade_steps_back_through_each_revision(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'steps.db'}"
    assert _framework_db("upgrade", database_url=url).returncode == 0

    def tables() -> set[str]:
        with sqlite3.connect(tmp_path / "steps.db") as connection:
            return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    assert _framework_db("downgrade", "-1", database_url=url).returncode == 0
    assert "activity_log" not in tables()
    assert "tasks" in tables()
    assert _framework_db("downgrade", "base", database_url=url).returncode == 0
    assert tables() == {"alembic_version"}


def test_migrations_match_models_and_downgrade_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
    assert_migrations_match_models(url, Model.metadata, config_file=ALEMBIC_INI)


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """A throwaway PostgreSQL database (other test suites share the server's `test` database)."""
    name = f"example_app_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(postgres_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_migrations_match_models_and_downgrade_on_postgres(postgres_database: str) -> None:
    assert_migrations_match_models(postgres_database, Model.metadata, config_file=ALEMBIC_INI)


def test_the_app_runs_on_a_migrated_postgres_database(postgres_database: str, container: Container) -> None:
    result = _framework_db("upgrade", database_url=postgres_database)
    assert result.returncode == 0, result.stderr
    settings = container.settings().model_copy(update={"database_url": postgres_database})
    with overrides(container, settings=settings), TestClient(build_app(container)) as client:
        assert client.post("/api/auth/signup", json={"username": "alice", "password": PASSWORD}).status_code == 201
        project = client.post("/api/projects", json={"name": "On Postgres"}).json()
        tasks_url = f"/api/projects/{project['id']}/tasks"
        assert client.post(tasks_url, json={"title": "Card"}).status_code == 201
        assert client.post(tasks_url, json={"title": "Card"}).status_code == 409
        assert client.get(f"/api/projects/{2**31 - 1}").status_code == 404
        listed = client.get(tasks_url, params={"order": "-created_at", "status": "todo"}).json()
        assert [t["title"] for t in listed["items"]] == ["Card"]
        assert "alice added &#39;Card&#39;" in client.get(f"/projects/{project['id']}").text
