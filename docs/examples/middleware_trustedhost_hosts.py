"""Only answer for our own domain names."""

from framework.applications import Application
from framework.middleware import Middleware
from framework.middleware.trustedhost import TrustedHostMiddleware
from framework.requests import Request
from framework.responses import PlainTextResponse
from framework.routing import Route
from framework.testclient import TestClient


async def homepage(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"Welcome to {request.url.hostname}")


app = Application(
    routes=[Route("/", homepage)],
    middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=["www.example.com", "*.api.example.com"])],
)

assert TestClient(app, base_url="https://www.example.com").get("/").text == "Welcome to www.example.com"
assert TestClient(app, base_url="https://eu.api.example.com").get("/").status_code == 200

forged = TestClient(app, base_url="https://attacker.example").get("/")
assert forged.status_code == 400
assert forged.text == "Invalid host header"

# The bare domain is redirected to the www. host that is allowed.
bare = TestClient(app, base_url="https://example.com").get("/docs?page=2", follow_redirects=False)
assert bare.status_code == 307
assert bare.headers["location"] == "https://www.example.com/docs?page=2"
