"""Files `framework db init` writes: an async-ready env.py, the revision template and an alembic.ini."""

from __future__ import annotations

__all__ = ["ALEMBIC_INI", "ENV_PY", "SCRIPT_PY_MAKO"]

ENV_PY = '''\
"""Alembic environment: the database URL and the models come from the application, never from alembic.ini.

`framework db upgrade --app package.module:build_app` passes both in; plain `alembic upgrade head` finds the
app through `framework_app` in alembic.ini (or reads DATABASE_URL through framework.settings.Settings).
"""

from framework.db.migrations import run_migrations

run_migrations()
'''

SCRIPT_PY_MAKO = '''\
"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}

revision: str = ${repr(up_revision)}
down_revision: str | Sequence[str] | None = ${repr(down_revision)}
branch_labels: str | Sequence[str] | None = ${repr(branch_labels)}
depends_on: str | Sequence[str] | None = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
'''

ALEMBIC_INI = """\
# Alembic configuration. The database URL is not here: it comes from the app's settings (DATABASE_URL).
[alembic]
script_location = {script_location}
# The app whose container provides the Database (or Settings); its models must be imported by it.
framework_app = {app}
# Where the models' metadata lives (default: framework.db:Model.metadata).
# framework_metadata = package.models:Model.metadata

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
"""
