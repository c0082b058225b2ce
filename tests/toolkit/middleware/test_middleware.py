from __future__ import annotations

from framework.middleware import Middleware
from framework.types import ASGIApp, Receive, Scope, Send


class CustomMiddleware:
    def __init__(self, app: ASGIApp, *names: str, allow_origins: list[str] | None = None, level: int = 0) -> None:
        self.app = app
        self.names = names
        self.allow_origins = allow_origins
        self.level = level

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover
        await self.app(scope, receive, send)


def test_repr_lists_class_args_and_kwargs() -> None:
    middleware = Middleware(CustomMiddleware, "a", allow_origins=["*"], level=2)
    assert repr(middleware) == "Middleware(CustomMiddleware, 'a', allow_origins=['*'], level=2)"
    assert repr(Middleware(CustomMiddleware)) == "Middleware(CustomMiddleware)"


def test_unpacks_as_class_args_kwargs() -> None:
    cls, args, kwargs = Middleware(CustomMiddleware, "x", "y", level=3)
    assert cls is CustomMiddleware
    assert args == ("x", "y")
    assert kwargs == {"level": 3}


def test_attributes_build_the_middleware() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover
        pass

    middleware = Middleware(CustomMiddleware, "n", level=1)
    instance = middleware.cls(app, *middleware.args, **middleware.kwargs)
    assert isinstance(instance, CustomMiddleware)
    assert instance.app is app
    assert instance.names == ("n",)
    assert instance.level == 1


def test_repr_of_a_factory_without_name() -> None:
    class Factory:
        def __call__(self, app: ASGIApp) -> ASGIApp:  # pragma: no cover
            return app

    assert repr(Middleware(Factory())) == "Middleware()"
