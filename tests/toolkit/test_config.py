from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from framework.config import Config, Environ, EnvironError
from framework.datastructures import URL, CommaSeparatedStrings, Secret


def _write_env(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    return path


def test_config_reads_env_file_values_and_casts(tmp_path: Path) -> None:
    path = _write_env(
        tmp_path,
        "# a comment\n"
        "DATABASE_URL=postgres://user:pass@localhost/dbname\n"
        "REQUEST_HOSTNAME = example.com \n"
        "SECRET_KEY='12345'\n"
        'QUOTED="hello world"\n'
        "BOOL_AS_INT=0\n"
        "EMPTY=\n"
        "not a setting line\n"
        "\n"
        "#COMMENTED=1\n",
    )
    config = Config(path, environ={"DEBUG": "true"})

    assert config("DEBUG", cast=bool) is True
    assert config("DATABASE_URL", cast=URL).password == "pass"
    assert config("REQUEST_HOSTNAME") == "example.com"
    assert str(config("SECRET_KEY", cast=Secret)) == "12345"
    assert repr(config("SECRET_KEY", cast=Secret)) == "Secret('**********')"
    assert config("QUOTED") == "hello world"
    assert config("BOOL_AS_INT", cast=bool) is False
    assert config("EMPTY") == ""
    assert config("REQUEST_TIMEOUT", cast=int, default=10) == 10
    assert config("MISSING", default=None) is None
    assert config.get("QUOTED") == "hello world"
    with pytest.raises(KeyError, match=r"Config 'COMMENTED' is missing, and has no default."):
        config("COMMENTED")


def test_environment_takes_precedence_over_env_file(tmp_path: Path) -> None:
    path = _write_env(tmp_path, "NAME=from-file\n")
    assert Config(path, environ={"NAME": "from-env"})("NAME") == "from-env"
    assert Config(path, environ={})("NAME") == "from-file"


def test_default_is_cast_too() -> None:
    config = Config(environ={})
    assert config("PORT", cast=int, default="8000") == 8000
    assert list(config("HOSTS", cast=CommaSeparatedStrings, default="a, b")) == ["a", "b"]
    assert config("FLAG", cast=bool, default=False) is False
    assert config("FLAG", cast=bool, default="true") is True


def test_missing_key_error_message() -> None:
    with pytest.raises(KeyError, match=r"Config 'MISSING' is missing, and has no default."):
        Config(environ={})("MISSING")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("True", True), ("TRUE", True), ("1", True), ("false", False), ("FALSE", False), ("0", False)],
)
def test_bool_casting(raw: str, expected: bool) -> None:
    assert Config(environ={"FLAG": raw})("FLAG", cast=bool) is expected


@pytest.mark.parametrize("raw", ["yes", "on", "2", ""])
def test_invalid_bool(raw: str) -> None:
    with pytest.raises(ValueError, match=rf"^Config 'FLAG' has value '{raw}'. Not a valid bool.$"):
        Config(environ={"FLAG": raw})("FLAG", cast=bool)


def test_invalid_bool_message_shows_lowercased_value() -> None:
    with pytest.raises(ValueError, match=r"Config 'FLAG' has value 'maybe'. Not a valid bool."):
        Config(environ={"FLAG": "MAYBE"})("FLAG", cast=bool)


def test_invalid_int_and_float() -> None:
    config = Config(environ={"PORT": "eighty"})
    with pytest.raises(ValueError, match=r"^Config 'PORT' has value 'eighty'. Not a valid int.$"):
        config("PORT", cast=int)
    with pytest.raises(ValueError, match=r"^Config 'PORT' has value 'eighty'. Not a valid float.$"):
        config("PORT", cast=float)


def test_cast_with_callable_without_name() -> None:
    class Parser:
        def __call__(self, value: Any) -> int:
            raise ValueError

    with pytest.raises(ValueError, match=r"Config 'X' has value '1'. Not a valid"):
        Config(environ={"X": "1"})("X", cast=Parser())


def test_none_default_is_not_cast() -> None:
    assert Config(environ={})("X", cast=int, default=None) is None


def test_env_prefix(tmp_path: Path) -> None:
    path = _write_env(tmp_path, "APP_FROM_FILE=file\n")
    config = Config(path, environ={"APP_DEBUG": "1", "DEBUG": "0"}, env_prefix="APP_")
    assert config("DEBUG", cast=bool) is True
    assert config("FROM_FILE") == "file"
    with pytest.raises(KeyError, match=r"Config 'APP_OTHER' is missing, and has no default."):
        config("OTHER")


def test_missing_env_file_warns(tmp_path: Path) -> None:
    missing = tmp_path / "nope.env"
    with pytest.warns(UserWarning, match=f"Config file '{missing}' not found."):
        config = Config(missing, environ={})
    assert config.file_values == {}


def test_env_file_as_str_and_encoding(tmp_path: Path) -> None:
    path = tmp_path / "latin.env"
    path.write_bytes("NAME=café\n".encode("latin-1"))
    assert Config(str(path), environ={}, encoding="latin-1")("NAME") == "café"


def test_env_file_value_with_equals_sign(tmp_path: Path) -> None:
    path = _write_env(tmp_path, "URL=postgres://h/db?sslmode=require\n")
    assert Config(path, environ={})("URL") == "postgres://h/db?sslmode=require"


def test_environ_tracks_reads() -> None:
    backing: dict[str, str] = {}
    environ = Environ(backing)
    environ["TESTING"] = "True"
    environ["GONE"] = "x"
    del environ["GONE"]
    assert "GONE" not in backing
    assert environ["TESTING"] == "True"
    with pytest.raises(
        EnvironError, match=r"Attempting to set environ\['TESTING'\], but the value has already been read."
    ):
        environ["TESTING"] = "False"
    with pytest.raises(
        EnvironError, match=r"Attempting to delete environ\['TESTING'\], but the value has already been read."
    ):
        del environ["TESTING"]
    environ["OTHER"] = "1"
    assert set(environ) == {"TESTING", "OTHER"}
    assert len(environ) == 2


def test_environ_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAMEWORK_TEST_CONFIG_VALUE", "42")
    environ = Environ()
    assert environ["FRAMEWORK_TEST_CONFIG_VALUE"] == "42"
    assert os.environ["FRAMEWORK_TEST_CONFIG_VALUE"] == "42"


def test_config_with_environ_object_marks_reads() -> None:
    environ = Environ({"KEY": "v"})
    assert Config(environ=environ)("KEY") == "v"
    with pytest.raises(EnvironError):
        environ["KEY"] = "other"


def test_only_a_matching_pair_of_quotes_is_removed(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text('A=\'quoted "inner"\'\nB="it\'s"\nC="unbalanced\'\nD="\nE=plain\n')
    config = Config(env)
    assert config("A") == 'quoted "inner"'
    assert config("B") == "it's"
    assert config("C") == "\"unbalanced'"
    assert config("D") == '"'
    assert config("E") == "plain"
