"""Remember who logged in, in a signed cookie."""

from framework.applications import Application
from framework.middleware import Middleware
from framework.middleware.sessions import SessionMiddleware
from framework.requests import Request
from framework.responses import JSONResponse
from framework.routing import Route
from framework.testclient import TestClient


async def login(request: Request) -> JSONResponse:
    request.session["user"] = (await request.json())["user"]
    return JSONResponse({"ok": True})


async def me(request: Request) -> JSONResponse:
    return JSONResponse({"user": request.session.get("user")})


async def logout(request: Request) -> JSONResponse:
    request.session.clear()
    return JSONResponse({"ok": True})


app = Application(
    routes=[
        Route("/login", login, methods=["POST"]),
        Route("/me", me),
        Route("/logout", logout, methods=["POST"]),
    ],
    middleware=[Middleware(SessionMiddleware, secret_key="change-me-to-a-long-random-string", max_age=3600)],
)

client = TestClient(app, base_url="https://testserver")

response = client.post("/login", json={"user": "ada"})
cookie = response.headers["set-cookie"]
assert cookie.startswith("session=")
assert "Max-Age=3600; httponly; samesite=lax; secure" in cookie  # Secure: the request came over https

me_response = client.get("/me")
assert me_response.json() == {"user": "ada"}
assert "set-cookie" not in me_response.headers  # only a changed session is written back
assert me_response.headers["vary"] == "Cookie"  # but the answer depends on the cookie

# A cookie the client edited is ignored: the session is simply empty.
forged = TestClient(app).get("/me", headers={"Cookie": "session=eyJ1c2VyIjogImFkbWluIn0=.x.y"})
assert forged.json() == {"user": None}

logout_response = client.post("/logout")
assert logout_response.headers["set-cookie"].startswith("session=null;")
assert client.get("/me").json() == {"user": None}
