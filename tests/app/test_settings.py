"""Settings: defaults, environment, .env, secrets directory, lists, and overriding in a container."""

from __future__ import annotations

from pathlib import Path

import pytest
from dependency_injector import containers, providers
from pydantic import ValidationError

from framework.settings import Settings
from framework.testing import overrides

_FIELDS = ("DATABASE_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "CORS_ORIGINS")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in _FIELDS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_are_a_local_sqlite_file_and_safe_values() -> None:
    settings = Settings()
    assert settings.database_url == "sqlite+aiosqlite:///./app.db"
    assert settings.debug is False
    assert settings.allowed_hosts == ["*"]
    assert settings.cors_origins == []
    assert len(settings.secret_key.get_secret_value()) >= 32
    assert "secret_key=SecretStr('**********')" in repr(settings)
    assert Settings().secret_key != settings.secret_key  # random per instance unless configured


def test_environment_variables_win_over_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=sqlite+aiosqlite:///./from-dotenv.db\nDEBUG=true\n")
    monkeypatch.setenv("database_url", "postgresql+asyncpg://db/app")
    settings = Settings()
    assert settings.database_url == "postgresql+asyncpg://db/app"
    assert settings.debug is True


def test_lists_accept_commas_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_HOSTS", "example.com, api.example.com")
    monkeypatch.setenv("CORS_ORIGINS", '["https://app.example.com"]')
    settings = Settings()
    assert settings.allowed_hosts == ["example.com", "api.example.com"]
    assert settings.cors_origins == ["https://app.example.com"]


def test_secrets_directory_supplies_the_secret_key(tmp_path: Path) -> None:
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    (secrets_dir / "secret_key").write_text("from-a-secret-file")
    settings = Settings(_secrets_dir=secrets_dir)
    assert settings.secret_key.get_secret_value() == "from-a-secret-file"


def test_invalid_values_fail_with_the_field_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEBUG", "perhaps")
    with pytest.raises(ValidationError, match="debug"):
        Settings()


def test_settings_are_a_container_singleton_overridable_in_tests() -> None:
    class Container(containers.DeclarativeContainer):
        settings = providers.Singleton(Settings)
        database_url = providers.Callable(lambda s: s.database_url, settings)

    container = Container()
    assert container.settings() is container.settings()
    with overrides(container, settings=Settings(database_url="sqlite+aiosqlite:///./test.db")):
        assert container.database_url() == "sqlite+aiosqlite:///./test.db"
    assert container.database_url() == "sqlite+aiosqlite:///./app.db"


def test_subclasses_add_application_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    class AppSettings(Settings):
        page_size: int = 20

    monkeypatch.setenv("PAGE_SIZE", "50")
    assert AppSettings().page_size == 50
