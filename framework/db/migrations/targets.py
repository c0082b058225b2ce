"""Where migrations get the database URL and the models' metadata: from the application, not from alembic.ini.

The URL is read from the app's container (the `Database` it provides, else its `Settings`), falling back to
`Settings()` (DATABASE_URL); the metadata from "module:attribute" (default `framework.db:Model.metadata`),
after the app was imported so its models are registered.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from alembic.config import Config
from sqlalchemy import MetaData

from framework.db.database import Database
from framework.settings import Settings

__all__ = [
    "APP_OPTION",
    "METADATA_ATTRIBUTE",
    "METADATA_OPTION",
    "URL_ATTRIBUTE",
    "database_url_of",
    "load_application",
    "load_metadata",
    "make_config",
]

APP_OPTION = "framework_app"
METADATA_OPTION = "framework_metadata"
URL_ATTRIBUTE = "framework.url"
METADATA_ATTRIBUTE = "framework.metadata"
DEFAULT_METADATA = "framework.db:Model.metadata"


def load_application(spec: str) -> Any:
    """The app from "module:app", calling it when it is a factory ("module:build_app" or "module:build_app()")."""
    from framework.cli._loading import load_app

    return load_app(spec, call_factories=True)


def database_url_of(app: Any | None) -> str:
    """The URL of the app's database: its container's Database, else its Settings, else `Settings()`."""
    container = getattr(getattr(app, "state", None), "container", None)
    if container is not None:
        from dependency_injector import providers

        for provider in container.traverse(types=[providers.Singleton, providers.Object, providers.Factory]):
            provided = getattr(provider, "provides", None)
            if (isinstance(provided, type) and issubclass(provided, Database)) or isinstance(provided, Database):
                database = provider()
                return str(database.url.render_as_string(hide_password=False))
        for provider in container.traverse(types=[providers.Singleton, providers.Object, providers.Factory]):
            provided = getattr(provider, "provides", None)
            if (isinstance(provided, type) and issubclass(provided, Settings)) or isinstance(provided, Settings):
                return str(provider().database_url)
    return Settings().database_url


def load_metadata(spec: str | None) -> MetaData:
    """The MetaData named by "module:attribute.path" (default: framework.db:Model.metadata)."""
    module_name, _, path = (spec or DEFAULT_METADATA).partition(":")
    target: Any = importlib.import_module(module_name)
    for part in path.split("."):
        target = getattr(target, part)
    if not isinstance(target, MetaData):
        raise TypeError(f"{spec!r} is not a sqlalchemy MetaData (got {type(target).__name__}).")
    return target


def make_config(
    config_file: str | Path | None = "alembic.ini",
    *,
    url: str | None = None,
    metadata: MetaData | None = None,
    script_location: str | Path | None = None,
) -> Config:
    """An Alembic Config carrying the URL and metadata to env.py (`run_migrations` reads them)."""
    path = Path(config_file) if config_file is not None else None
    config = Config(str(path)) if path is not None and path.exists() else Config()
    if script_location is not None:
        config.set_main_option("script_location", str(script_location))
    elif config.get_main_option("script_location") is None:
        raise FileNotFoundError(
            f"No Alembic configuration at {path}: run `framework db init` to create one, or pass --config."
        )
    if url is not None:
        config.attributes[URL_ATTRIBUTE] = url
    if metadata is not None:
        config.attributes[METADATA_ATTRIBUTE] = metadata
    return config
