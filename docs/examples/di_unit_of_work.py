"""A toy unit of work: one per request, committed before the response starts, closed at the end."""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers

from framework.background import BackgroundTasks
from framework.bootstrap import create_app
from framework.controllers import controller, get, post
from framework.di import CurrentRequest, RequestScope, RequestScoped, open_scope
from framework.requests import Request
from framework.testclient import TestClient

log: list[str] = []


class UnitOfWork:
    """Collects changes during a request; commits them only if the response is a success."""

    def __init__(self, store: list[str]) -> None:
        self.store = store
        self.pending: list[str] = []

    def add(self, item: str) -> None:
        self.pending.append(item)

    async def commit_if_ok(self, status: int) -> None:
        if status < 400 and self.pending:
            self.store.extend(self.pending)
            log.append(f"commit {self.pending}")
        self.pending = []

    async def close(self, exc: BaseException | None) -> None:
        log.append(f"close ({type(exc).__name__ if exc else 'ok'})")


class UnitOfWorkProvider(RequestScoped[UnitOfWork]):
    """RequestScoped, plus a commit hook registered on the scope of each new instance."""

    def on_created(self, instance: Any, scope: RequestScope) -> None:
        scope.before_response(instance.commit_if_ok)
        scope.on_exit(instance.close)


class Auditor:
    def __init__(self, request: Request) -> None:
        self.path = request.url.path


class Container(containers.DeclarativeContainer):
    store: providers.Singleton[list[str]] = providers.Singleton(list)
    unit_of_work = UnitOfWorkProvider(UnitOfWork, store=store)
    auditor = RequestScoped(Auditor, request=CurrentRequest())


@controller("/items")
class ItemController:
    def __init__(self, unit_of_work: UnitOfWork, auditor: Auditor) -> None:
        self.unit_of_work = unit_of_work
        self.auditor = auditor

    @post("/{name}", status_code=201)
    async def create_item(self, name: str, tasks: BackgroundTasks) -> dict[str, str]:
        self.unit_of_work.add(name)
        tasks.add_task(notify, name)  # runs after the response, in a fresh scope
        return {"created": name, "path": self.auditor.path}

    @post("/{name}/fail")
    async def create_failing_item(self, name: str) -> None:
        self.unit_of_work.add(name)
        raise ValueError("something broke")

    @get("/")
    async def list_items(self, request: Request) -> list[str]:
        return list(request.app.state.container.store())


async def notify(name: str) -> None:
    # A new scope: this unit of work is not the request's one.
    log.append(f"notify {name} (new unit of work: {container.unit_of_work().pending == []})")


container = Container()
app = create_app(container, controllers=[ItemController])

with TestClient(app, raise_server_exceptions=False) as client:
    response = client.post("/items/apple")
    assert (response.status_code, response.json()) == (201, {"created": "apple", "path": "/items/apple"})
    assert client.post("/items/pear/fail").status_code == 500
    assert client.get("/items").json() == ["apple"]  # the failed request committed nothing

assert log == [
    "commit ['apple']",  # before the 201 was sent
    "notify apple (new unit of work: True)",
    "close (ok)",  # the background task's scope
    "close (ok)",  # the first request's scope
    "close (ValueError)",  # the failed request: no commit, the exception reaches the teardown
    "close (ok)",  # GET /items
]


async def script() -> None:
    """Outside HTTP (a CLI command, a worker), open a scope yourself."""
    async with open_scope():
        container.unit_of_work().add("plum")
    # A scope without an HTTP response commits (status 200) when it closes without an exception.


if __name__ == "__main__":
    import anyio

    anyio.run(script)
    assert container.store() == ["apple", "plum"]
