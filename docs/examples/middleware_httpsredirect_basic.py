"""Send every plain-http request to https."""

from framework.applications import Application
from framework.middleware import Middleware
from framework.middleware.httpsredirect import HTTPSRedirectMiddleware
from framework.requests import Request
from framework.responses import PlainTextResponse
from framework.routing import Route
from framework.testclient import TestClient


async def checkout(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"{request.method} over {request.url.scheme}")


app = Application(
    routes=[Route("/checkout", checkout, methods=["GET", "POST"])],
    middleware=[Middleware(HTTPSRedirectMiddleware)],
)

client = TestClient(app, base_url="http://shop.example.com:80")
response = client.post("/checkout?step=2", follow_redirects=False)
assert response.status_code == 307  # 307 keeps the method and body
assert response.headers["location"] == "https://shop.example.com/checkout?step=2"

# Following the redirect, the POST arrives over https.
assert client.post("/checkout").text == "POST over https"
