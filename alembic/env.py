"""Alembic environment of the example app: the URL and the models come from the app, never from alembic.ini.

`framework db upgrade --app "example_app.app:build_app()"` passes both in; plain `alembic upgrade head` finds the
app through `framework_app` in alembic.ini.
"""

from __future__ import annotations

from framework.db.migrations import run_migrations

run_migrations()
