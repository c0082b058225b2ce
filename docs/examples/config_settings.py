"""Read settings from the environment and a `.env` file, with casts and defaults."""

from __future__ import annotations

from pathlib import Path

from framework.applications import Application
from framework.config import Config
from framework.datastructures import CommaSeparatedStrings, Secret
from framework.requests import Request
from framework.responses import JSONResponse
from framework.routing import Route
from framework.testclient import TestClient

Path(".env").write_text(
    "# Never commit this file.\nDEBUG=true\nSECRET_KEY='change-me'\nALLOWED_HOSTS=example.org, api.example.org\n",
    encoding="utf-8",
)

# The environment wins over the file: here a fake environment stands in for os.environ.
config = Config(".env", environ={"MAX_UPLOADS": "5"})

DEBUG = config("DEBUG", cast=bool, default=False)
SECRET_KEY = config("SECRET_KEY", cast=Secret)
ALLOWED_HOSTS = config("ALLOWED_HOSTS", cast=CommaSeparatedStrings)
MAX_UPLOADS = config("MAX_UPLOADS", cast=int, default=10)
REGION = config("REGION", default="eu-west-1")

assert DEBUG is True
assert repr(SECRET_KEY) == "Secret('**********')"  # safe to log
assert str(SECRET_KEY) == "change-me"
assert list(ALLOWED_HOSTS) == ["example.org", "api.example.org"]
assert MAX_UPLOADS == 5
assert REGION == "eu-west-1"

# A value that does not cast fails loudly, naming the key and the value.
error: ValueError | None = None
try:
    Config(environ={"PORT": "eighty"})("PORT", cast=int)
except ValueError as exc:
    error = exc
assert str(error) == "Config 'PORT' has value 'eighty'. Not a valid int."


async def settings(request: Request) -> JSONResponse:
    return JSONResponse({"debug": DEBUG, "hosts": list(ALLOWED_HOSTS), "max_uploads": MAX_UPLOADS})


app = Application(debug=DEBUG, routes=[Route("/settings", settings)])

with TestClient(app) as client:
    assert client.get("/settings").json() == {
        "debug": True,
        "hosts": ["example.org", "api.example.org"],
        "max_uploads": 5,
    }
