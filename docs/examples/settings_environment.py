"""Settings from the environment and .env, provided by the container, replaced in tests."""

from __future__ import annotations

import os
from pathlib import Path

from dependency_injector import containers, providers

from framework.settings import Settings
from framework.testing import overrides


class AppSettings(Settings):
    page_size: int = 20  # the application's own setting, read from PAGE_SIZE


Path(".env").write_text("PAGE_SIZE=50\nALLOWED_HOSTS=example.com, api.example.com\n")
os.environ["DEBUG"] = "true"  # the environment wins over .env
try:
    settings = AppSettings()
finally:
    del os.environ["DEBUG"]

assert settings.page_size == 50
assert settings.allowed_hosts == ["example.com", "api.example.com"]
assert settings.debug is True
assert settings.database_url == "sqlite+aiosqlite:///./app.db"  # the default: a SQLite file
assert "**********" in repr(settings.secret_key)  # secrets are masked in reprs and logs


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(AppSettings)
    page_size = providers.Callable(lambda s: s.page_size, settings)


container = Container()
assert container.page_size() == 50
with overrides(container, settings=AppSettings(page_size=5)):
    assert container.page_size() == 5
assert container.page_size() == 50
