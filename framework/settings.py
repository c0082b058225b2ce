"""Application settings from the environment, a `.env` file and a secrets directory (pydantic-settings).

Provide them as a container Singleton (`settings = providers.Singleton(Settings)`) so every component reads
one validated object and tests override it (`overrides(container, settings=Settings(debug=True))`).
Subclass `Settings` to add the application's own fields.
"""

from __future__ import annotations

import json
import secrets
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["Settings"]


def _split_list(value: Any) -> Any:
    """Environment lists as JSON (`["a", "b"]`) or comma-separated (`a, b`)."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """Framework settings; every field reads the environment variable of the same name (any case).

    Precedence, highest first: constructor arguments, environment variables, `.env` in the working directory,
    files in the secrets directory (`Settings(_secrets_dir="/run/secrets")`, one file per field), defaults.
    """

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./app.db"
    """SQLAlchemy URL of the database: a SQLite file by default, `postgresql+asyncpg://...` in production."""

    secret_key: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)))
    """Signs session cookies. The default is random per process: set SECRET_KEY wherever sessions must survive a
    restart or be shared by several workers."""

    debug: bool = False
    """Tracebacks in error responses; never in production."""

    allowed_hosts: Annotated[list[str], NoDecode] = ["*"]
    """Host headers the app answers (TrustedHostMiddleware); "*" allows any."""

    cors_origins: Annotated[list[str], NoDecode] = []
    """Origins allowed to call the API from a browser (CORSMiddleware); empty disables CORS."""

    @field_validator("allowed_hosts", "cors_origins", mode="before")
    @classmethod
    def _lists_from_text(cls, value: Any) -> Any:
        return _split_list(value)
