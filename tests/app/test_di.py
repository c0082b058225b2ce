"""The request scope, RequestScoped and the scope middleware, driven through raw ASGI apps."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from dependency_injector import containers, providers

from framework.background import BackgroundTask, BackgroundTasks
from framework.di import (
    ConfigurationError,
    CurrentRequest,
    CurrentScope,
    RequestScope,
    RequestScoped,
    RequestScopeMiddleware,
    current_scope,
    in_fresh_scopes,
    open_scope,
)
from framework.di.graph import check_captive_dependencies
from framework.exceptions import HTTPException
from framework.requests import Request
from framework.responses import PlainTextResponse
from framework.testing import AsyncTestClient
from framework.types import Receive, Scope, Send


class Session:
    """A resource that records how it was closed."""

    created = 0

    def __init__(self) -> None:
        Session.created += 1
        self.exit_calls: list[BaseException | None] = []

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.exit_calls.append(exc)


class Repository:
    def __init__(self, session: Session) -> None:
        self.session = session


class Container(containers.DeclarativeContainer):
    session = RequestScoped(Session)
    repository = providers.Factory(Repository, session=session)


@pytest.mark.anyio
async def test_request_scoped_is_one_instance_per_scope() -> None:
    container = Container()
    async with open_scope():
        first = container.session()
        assert container.session() is first
        assert container.repository().session is first
    async with open_scope():
        second = container.session()
    assert second is not first
    assert first.exit_calls == [None]
    assert second.exit_calls == [None]


def test_resolving_outside_a_scope_names_the_provider_and_the_fix() -> None:
    container = Container()
    with pytest.raises(RuntimeError, match=r"RequestScoped\(.*Session.*resolved outside a request scope") as info:
        container.session()
    assert "open_scope()" in str(info.value)
    with pytest.raises(RuntimeError, match="No request scope is active"):
        current_scope()


@pytest.mark.anyio
async def test_override_wins_inside_a_scope_and_is_undone() -> None:
    container = Container()
    fake = Session()
    async with open_scope():
        with container.session.override(fake):
            assert container.session() is fake
            assert container.repository().session is fake
        real = container.session()
    assert real is not fake
    assert fake.exit_calls == []  # an override is not owned by the scope


@pytest.mark.anyio
async def test_container_instances_do_not_share_providers_or_instances() -> None:
    closed: list[str] = []

    class Closing(containers.DeclarativeContainer):
        value: RequestScoped[dict[str, int]] = RequestScoped(dict, closer=lambda instance, exc: closed.append("closed"))

    one, two = Closing(), Closing()
    assert one.value is not two.value
    assert isinstance(one.value, RequestScoped)
    async with open_scope():
        assert one.value() is not two.value()
    assert closed == ["closed", "closed"]


@pytest.mark.anyio
async def test_teardown_receives_the_real_exception() -> None:
    container = Container()
    sessions: list[Session] = []

    async def failing_request() -> None:
        async with open_scope():
            sessions.append(container.session())
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await failing_request()
    session = sessions[0]
    assert len(session.exit_calls) == 1
    assert isinstance(session.exit_calls[0], ValueError)


@pytest.mark.anyio
async def test_closers_sync_exit_and_async_closer() -> None:
    events: list[tuple[str, Any]] = []

    class SyncResource:
        def __exit__(self, *args: Any) -> None:
            events.append(("sync", args[1]))

    async def async_closer(instance: object, exc: BaseException | None) -> None:
        await anyio.lowlevel.checkpoint()
        events.append(("async", exc))

    class Resources(containers.DeclarativeContainer):
        sync_resource = RequestScoped(SyncResource)
        with_closer: RequestScoped[list[int]] = RequestScoped(list, closer=async_closer)

    container = Resources()
    async with open_scope():
        container.sync_resource()
        container.with_closer()
    # Last created, first closed.
    assert events == [("async", None), ("sync", None)]


@pytest.mark.anyio
async def test_on_exit_is_lifo_and_shielded_from_cancellation() -> None:
    events: list[str] = []

    async def slow(exc: BaseException | None) -> None:
        await anyio.sleep(0.01)  # would be cancelled if not shielded
        events.append(f"slow:{type(exc).__name__}")

    async def fast(exc: BaseException | None) -> None:
        events.append(f"fast:{type(exc).__name__}")

    with anyio.move_on_after(0.05) as cancel_scope:
        async with open_scope() as scope:
            scope.on_exit(slow)
            scope.on_exit(fast)
            await anyio.sleep(10)
    assert cancel_scope.cancelled_caught
    cancelled = anyio.get_cancelled_exc_class().__name__
    assert events == [f"fast:{cancelled}", f"slow:{cancelled}"]


@pytest.mark.anyio
async def test_failing_exit_callback_is_raised_after_the_others_ran() -> None:
    events: list[str] = []

    async def failing(exc: BaseException | None) -> None:
        raise RuntimeError("close failed")

    async def recording(exc: BaseException | None) -> None:
        events.append("ran")

    async def request() -> None:
        async with open_scope() as scope:
            scope.on_exit(recording)
            scope.on_exit(failing)

    with pytest.raises(RuntimeError, match="close failed"):
        await request()
    assert events == ["ran"]


@pytest.mark.anyio
async def test_before_response_runs_with_200_when_a_non_http_scope_succeeds() -> None:
    statuses: list[int] = []

    async def commit(status: int) -> None:
        statuses.append(status)

    async with open_scope() as scope:
        scope.before_response(commit)
    assert statuses == [200]

    async def failing() -> None:
        async with open_scope() as scope:
            scope.before_response(commit)
            raise ValueError("x")

    with pytest.raises(ValueError, match="x"):
        await failing()
    assert statuses == [200]


def _scoped_app(container: Container, handler: Any) -> RequestScopeMiddleware:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = await handler(container, Request(scope, receive, send))
        await response(scope, receive, send)

    return RequestScopeMiddleware(app)


@pytest.mark.anyio
async def test_middleware_isolates_200_concurrent_requests_and_closes_everything() -> None:
    container = Container()
    sessions: list[Session] = []

    async def handler(container: Container, request: Request) -> PlainTextResponse:
        session = container.session()
        await anyio.sleep(0.001)
        assert container.repository().session is session  # same object throughout one request
        sessions.append(session)
        if request.query_params.get("fail"):
            raise ValueError("handler failed")
        return PlainTextResponse(str(id(session)))

    app = _scoped_app(container, handler)
    results: list[int] = []
    async with AsyncTestClient(app, lifespan=False, raise_app_exceptions=False) as client:

        async def one(index: int) -> None:
            response = await client.get("/", params={"fail": "1"} if index % 10 == 0 else {})
            results.append(response.status_code)

        async with anyio.create_task_group() as group:
            for index in range(200):
                group.start_soon(one, index)

    assert sorted(results) == [200] * 180 + [500] * 20
    assert len({id(session) for session in sessions}) == 200
    assert all(len(session.exit_calls) == 1 for session in sessions)
    failed = [s for s in sessions if s.exit_calls[0] is not None]
    assert len(failed) == 20
    assert all(isinstance(s.exit_calls[0], ValueError) for s in failed)
    with pytest.raises(RuntimeError):
        current_scope()  # nothing leaked into the test's context


@pytest.mark.anyio
async def test_cancelled_request_runs_teardown_with_the_cancellation() -> None:
    container = Container()
    sessions: list[Session] = []
    started = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        sessions.append(container.session())
        started.set()
        await anyio.sleep(10)

    middleware = RequestScopeMiddleware(app)
    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        raise AssertionError("nothing is sent")

    async with anyio.create_task_group() as group:
        group.start_soon(middleware, scope, receive, send)
        await started.wait()
        group.cancel_scope.cancel()  # the client went away
    assert len(sessions[0].exit_calls) == 1
    assert isinstance(sessions[0].exit_calls[0], anyio.get_cancelled_exc_class())


@pytest.mark.anyio
async def test_before_response_runs_before_the_start_is_forwarded() -> None:
    container = Container()
    log: list[str] = []

    async def handler(container: Container, request: Request) -> PlainTextResponse:
        scope = CurrentScope()()

        async def commit(status: int) -> None:
            log.append(f"commit {status}")

        scope.before_response(commit)
        return PlainTextResponse("created", status_code=201)

    inner = _scoped_app(container, handler)

    async def outer(scope: Scope, receive: Receive, send: Send) -> None:
        async def recording_send(message: Any) -> None:
            log.append(message["type"])
            await send(message)

        await inner(scope, receive, recording_send)

    async with AsyncTestClient(outer, lifespan=False) as client:
        response = await client.post("/")
    assert (response.status_code, response.text) == (201, "created")
    assert log == ["commit 201", "http.response.start", "http.response.body"]


@pytest.mark.anyio
async def test_before_response_http_exception_replaces_the_response() -> None:
    container = Container()
    sessions: list[Session] = []

    async def handler(container: Container, request: Request) -> PlainTextResponse:
        sessions.append(container.session())

        async def conflicting_commit(status: int) -> None:
            raise HTTPException(409, "Version conflict, retry.")

        current_scope().before_response(conflicting_commit)
        return PlainTextResponse("ok")

    async with AsyncTestClient(_scoped_app(container, handler), lifespan=False) as client:
        response = await client.put("/items/1")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "Version conflict, retry.",
        "instance": "/items/1",
    }
    assert isinstance(sessions[0].exit_calls[0], HTTPException)


@pytest.mark.anyio
async def test_before_response_failure_becomes_a_500_never_the_original_2xx() -> None:
    container = Container()
    sessions: list[Session] = []

    async def handler(container: Container, request: Request) -> PlainTextResponse:
        sessions.append(container.session())

        async def failing_commit(status: int) -> None:
            raise OSError("commit failed")

        current_scope().before_response(failing_commit)
        return PlainTextResponse("stored")

    async with AsyncTestClient(_scoped_app(container, handler), lifespan=False, raise_app_exceptions=False) as client:
        response = await client.post("/")
    assert response.status_code == 500
    assert response.text == ""
    assert isinstance(sessions[0].exit_calls[0], OSError)


@pytest.mark.anyio
async def test_current_request_resolves_to_the_request_of_the_scope() -> None:
    class Web(containers.DeclarativeContainer):
        request = CurrentRequest()
        path = providers.Callable(lambda request: request.url.path, request=request)

    container = Web()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert container.request() is container.request()
        await PlainTextResponse(container.path())(scope, receive, send)

    async with AsyncTestClient(RequestScopeMiddleware(app), lifespan=False) as client:
        response = await client.get("/where/am/i")
    assert response.text == "/where/am/i"

    async with open_scope():
        with pytest.raises(RuntimeError, match="not an HTTP request"):
            container.request()


@pytest.mark.anyio
async def test_background_tasks_each_run_in_a_fresh_scope(caplog: pytest.LogCaptureFixture) -> None:
    container = Container()
    seen: list[Session] = []

    def failing() -> None:
        raise RuntimeError("task failed")

    async def record() -> None:
        seen.append(container.session())

    async with open_scope():
        request_session = container.session()
        tasks = BackgroundTasks([BackgroundTask(record), BackgroundTask(failing), BackgroundTask(record)])
        with caplog.at_level(logging.ERROR, logger="framework.di"):
            await in_fresh_scopes(tasks)()
        single = in_fresh_scopes(BackgroundTask(record))
        assert in_fresh_scopes(single) is single
        await single()
    assert len(seen) == 3
    assert len({id(s) for s in [request_session, *seen]}) == 4
    assert all(s.exit_calls == [None] for s in seen)
    assert "Background task" in caplog.text
    assert "task failed" in caplog.text


def test_captive_dependency_names_both_providers_and_the_fix() -> None:
    class Captive(containers.DeclarativeContainer):
        session = RequestScoped(Session)
        repository = providers.Factory(Repository, session=session)
        service = providers.Singleton(Repository, session=repository)

    with pytest.raises(ConfigurationError) as info:
        check_captive_dependencies(Captive())
    message = str(info.value)
    assert message.startswith("Captive.service: this Singleton depends on the request-scoped Captive.session")
    assert "(through Captive.repository)" in message
    assert "Fix: make 'service' a providers.Factory or RequestScoped" in message


def test_delegated_scoped_provider_is_not_captive() -> None:
    class Delegating(containers.DeclarativeContainer):
        session = RequestScoped(Session)
        service: providers.Singleton[dict[str, Any]] = providers.Singleton(dict, session_factory=session.provider)

    check_captive_dependencies(Delegating())


def test_request_scope_repr_and_standalone_scope() -> None:
    assert repr(RequestScope()) == "<RequestScope standalone cached=0>"
