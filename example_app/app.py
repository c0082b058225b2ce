"""`build_app`: the task board as an ASGI application (`uvicorn example_app.app:build_app --factory`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from example_app.container import Container
from example_app.controllers import CONTROLLERS
from example_app.graphql import schema
from example_app.web.auth import LoginRequired, SessionAuthBackend
from example_app.web.csrf import CrossSiteWriteGuard
from example_app.web.templates import STATIC_DIR
from framework.applications import Application
from framework.bootstrap import create_app
from framework.db import database_exception_handlers
from framework.graphql import GraphQLRoute
from framework.middleware import Middleware
from framework.middleware.authentication import AuthenticationMiddleware
from framework.middleware.cors import CORSMiddleware
from framework.middleware.gzip import GZipMiddleware
from framework.middleware.sessions import SessionMiddleware
from framework.middleware.trustedhost import TrustedHostMiddleware
from framework.problems import problem_exception_handlers
from framework.routing import Mount
from framework.staticfiles import StaticFiles

__all__ = ["build_app"]


def build_app(container: Container | None = None) -> Application:
    """The application, wired from `container` (a new `Container` reading the environment by default)."""
    container = container or Container()
    settings = container.settings()
    # Built now, so that REDIS_URL without redis-py installed (or not a Redis URL) fails before serving.
    relay = container.task_relay()

    @contextlib.asynccontextmanager
    async def lifespan(app: Application) -> AsyncIterator[None]:
        try:
            async with contextlib.AsyncExitStack() as stack:
                if relay is not None:
                    # Subscribed before the first request is served; stopped before the database closes.
                    await stack.enter_async_context(relay.running())
                yield
        finally:
            # Close pooled connections on shutdown; the database is a container Singleton.
            await container.database().aclose()

    middleware = [
        Middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts),
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Content-Type"],
        ),
        Middleware(GZipMiddleware, minimum_size=1000),
        Middleware(
            SessionMiddleware,
            secret_key=settings.secret_key.get_secret_value(),
            session_cookie="taskboard_session",
            same_site="lax",
            https_only=settings.https_only,
        ),
        Middleware(AuthenticationMiddleware, backend=SessionAuthBackend()),
        Middleware(CrossSiteWriteGuard, trusted_origins=settings.cors_origins),
    ]
    return create_app(
        container,
        controllers=CONTROLLERS,
        routes=[
            Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
            # Signed-in users only, over HTTP and WebSocket; GraphiQL and introspection only in debug mode.
            GraphQLRoute(
                "/graphql",
                schema,
                graphiql=settings.debug,
                allowed_origins=settings.cors_origins,
                middleware=[Middleware(LoginRequired)],
            ),
        ],
        middleware=middleware,
        exception_handlers={**problem_exception_handlers(), **database_exception_handlers()},
        lifespan=lifespan,
        debug=settings.debug,
        title="Task board API",
        version="1.0.0",
    )
