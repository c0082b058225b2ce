"""A JSON API that a browser app on another origin may call, with cookies."""

from framework.applications import Application
from framework.middleware import Middleware
from framework.middleware.cors import CORSMiddleware
from framework.requests import Request
from framework.responses import JSONResponse
from framework.routing import Route, WebSocketRoute
from framework.testclient import TestClient, WebSocketDenialResponse
from framework.websockets import WebSocket


async def list_orders(request: Request) -> JSONResponse:
    return JSONResponse([{"id": 1}])


async def live_orders(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({"id": 2})
    await websocket.close()


app = Application(
    routes=[Route("/orders", list_orders, methods=["GET", "POST"]), WebSocketRoute("/live", live_orders)],
    middleware=[
        Middleware(
            CORSMiddleware,
            allow_origins=["https://shop.example.com"],
            allow_methods=["GET", "POST"],
            allow_headers=["X-Request-Id"],
            allow_credentials=True,
            check_websocket_origin=True,
        )
    ],
)

client = TestClient(app)

# The browser asks first (preflight) ...
preflight = client.options(
    "/orders",
    headers={
        "Origin": "https://shop.example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "X-Request-Id",
    },
)
assert preflight.status_code == 200
assert preflight.headers["access-control-allow-origin"] == "https://shop.example.com"
assert preflight.headers["access-control-allow-credentials"] == "true"

# ... and is told exactly what is wrong when the answer is no.
refused = client.options(
    "/orders", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "DELETE"}
)
assert refused.status_code == 400
assert refused.text == "Disallowed CORS origin, method"

# Actual requests from the allowed origin are labelled for the browser.
response = client.get("/orders", headers={"Origin": "https://shop.example.com"})
assert response.json() == [{"id": 1}]
assert response.headers["access-control-allow-origin"] == "https://shop.example.com"
assert response.headers["vary"] == "Origin"

# WebSocket handshakes from other origins are refused (check_websocket_origin=True).
with client.websocket_connect("/live", headers={"Origin": "https://shop.example.com"}) as websocket:
    assert websocket.receive_json() == {"id": 2}
denied_status = None
try:
    with client.websocket_connect("/live", headers={"Origin": "https://evil.example"}):
        pass
except WebSocketDenialResponse as denial:
    denied_status = denial.status_code
assert denied_status == 403
