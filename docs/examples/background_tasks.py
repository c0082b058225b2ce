"""Send the response first, then run follow-up work (emails, audit logs) in the background."""

from __future__ import annotations

from framework.applications import Application
from framework.background import BackgroundTask, BackgroundTasks
from framework.requests import Request
from framework.responses import JSONResponse
from framework.routing import Route
from framework.testclient import TestClient

outbox: list[str] = []
audit_log: list[str] = []


async def send_welcome_email(address: str) -> None:
    outbox.append(f"welcome {address}")


def write_audit_entry(message: str) -> None:
    # A plain function: it runs in the thread pool, so blocking here is fine.
    audit_log.append(message)


async def signup(request: Request) -> JSONResponse:
    data = await request.json()
    tasks = BackgroundTasks()
    tasks.add_task(send_welcome_email, data["email"])
    tasks.add_task(write_audit_entry, message=f"signup {data['email']}")
    return JSONResponse({"registered": True}, status_code=201, background=tasks)


async def ping(request: Request) -> JSONResponse:
    return JSONResponse({"pong": True}, background=BackgroundTask(write_audit_entry, "ping"))


app = Application(routes=[Route("/signup", signup, methods=["POST"]), Route("/ping", ping)])

with TestClient(app) as client:
    response = client.post("/signup", json={"email": "ada@example.org"})
    assert response.status_code == 201
    assert response.json() == {"registered": True}
    assert client.get("/ping").json() == {"pong": True}

# The TestClient waits for background tasks, so their effects are visible now.
assert outbox == ["welcome ada@example.org"]
assert audit_log == ["signup ada@example.org", "ping"]
