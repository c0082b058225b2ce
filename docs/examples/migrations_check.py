"""Migrations from the models: autogenerate a revision, apply it, and check models and migrations agree."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from framework.db import NAMING_CONVENTION
from framework.db.migrations import assert_migrations_match_models, make_config, model_differences
from framework.db.migrations.templates import ENV_PY, SCRIPT_PY_MAKO


class Base(DeclarativeBase):
    """This page's own metadata (an app normally uses `framework.db.Model`), with the same naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Article(Base):
    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)


# What `framework db init` writes: env.py is one call, the URL never appears in alembic.ini.
Path("alembic/versions").mkdir(parents=True)
Path("alembic/env.py").write_text(ENV_PY)
Path("alembic/script.py.mako").write_text(SCRIPT_PY_MAKO)

url = "sqlite+aiosqlite:///./app.db"
config = make_config(None, url=url, metadata=Base.metadata, script_location="alembic")
command.revision(config, message="create articles", autogenerate=True)  # framework db revision --autogenerate
(revision,) = Path("alembic/versions").glob("*create_articles.py")
assert "uq_articles_slug" in revision.read_text()  # names come from the naming convention

command.upgrade(config, "head")  # framework db upgrade
assert model_differences(url, Base.metadata) == []  # framework db check

# In the test suite: an empty database, upgrade, downgrade, upgrade, compare.
assert_migrations_match_models("sqlite+aiosqlite:///./check.db", Base.metadata, script_location="alembic")
