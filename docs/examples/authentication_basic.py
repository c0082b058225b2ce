"""Authenticate with a backend, then guard endpoints with `requires`."""

import base64
import binascii

from framework.applications import Application
from framework.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
    SimpleUser,
    requires,
)
from framework.middleware import Middleware
from framework.middleware.authentication import AuthenticationMiddleware
from framework.requests import HTTPConnection, Request
from framework.responses import PlainTextResponse
from framework.routing import Route
from framework.testclient import TestClient

USERS = {"ada": ("lovelace", ["authenticated", "admin"]), "bob": ("builder", ["authenticated"])}


class BasicAuthBackend(AuthenticationBackend):
    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        header = conn.headers.get("authorization")
        if header is None:
            return None  # anonymous: request.user is an UnauthenticatedUser
        try:
            scheme, encoded = header.split()
            username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
            raise AuthenticationError("Malformed Authorization header") from exc
        if scheme.lower() != "basic" or USERS.get(username, ("", []))[0] != password:
            raise AuthenticationError("Wrong username or password")
        return AuthCredentials(USERS[username][1]), SimpleUser(username)


async def homepage(request: Request) -> PlainTextResponse:
    name = request.user.display_name if request.user.is_authenticated else "stranger"
    return PlainTextResponse(f"Hello, {name}")


@requires("admin")
async def admin(request: Request) -> PlainTextResponse:
    return PlainTextResponse("Admin area")


@requires("authenticated", redirect="homepage")
async def profile(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"Profile of {request.user.display_name}")


app = Application(
    routes=[Route("/", homepage, name="homepage"), Route("/admin", admin), Route("/profile", profile)],
    middleware=[Middleware(AuthenticationMiddleware, backend=BasicAuthBackend())],
)

client = TestClient(app)
assert client.get("/").text == "Hello, stranger"
assert client.get("/", auth=("ada", "lovelace")).text == "Hello, ada"
assert client.get("/admin", auth=("ada", "lovelace")).text == "Admin area"
assert client.get("/admin", auth=("bob", "builder")).status_code == 403

wrong = client.get("/", auth=("bob", "nope"))
assert (wrong.status_code, wrong.text) == (400, "Wrong username or password")

redirect = client.get("/profile", follow_redirects=False)
assert redirect.status_code == 303
assert redirect.headers["location"] == "http://testserver/?next=http%3A%2F%2Ftestserver%2Fprofile"
