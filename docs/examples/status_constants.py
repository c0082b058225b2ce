"""Name status codes instead of writing bare numbers."""

from __future__ import annotations

from framework import status
from framework.applications import Application
from framework.requests import Request
from framework.responses import JSONResponse
from framework.routing import Route
from framework.testclient import TestClient


async def create_item(request: Request) -> JSONResponse:
    payload = await request.json()
    if "name" not in payload:
        return JSONResponse({"error": "name is required"}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    return JSONResponse(payload, status_code=status.HTTP_201_CREATED)


app = Application(routes=[Route("/items", create_item, methods=["POST"])])

with TestClient(app) as client:
    created = client.post("/items", json={"name": "teapot"})
    assert created.status_code == status.HTTP_201_CREATED == 201
    assert created.json() == {"name": "teapot"}

    invalid = client.post("/items", json={})
    assert invalid.status_code == status.HTTP_422_UNPROCESSABLE_CONTENT == 422
    assert invalid.json() == {"error": "name is required"}
