"""`transactional`: run a service method inside a savepoint, so its failure undoes only its own writes."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from framework._utils import is_async_callable
from framework.db.unit_of_work import UNIT_INFO_KEY, UnitOfWork, unit_of

__all__ = ["transactional"]

P = ParamSpec("P")
R = TypeVar("R")


def _session_for(args: tuple[Any, ...]) -> AsyncSession:
    owner = args[0] if args else None
    session = getattr(owner, "session", None)
    if isinstance(session, AsyncSession):
        return session
    return unit_of(None).session


def transactional(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Run the decorated async method in a SAVEPOINT (`begin_nested`) of the request's transaction.

    If it raises, its writes (and the `on_commit` callbacks it registered) are rolled back and the exception
    propagates; the caller may catch it and carry on with the rest of the transaction. The session is
    `self.session` when the method's object has one (a Repository does), else the request session of the
    current scope. Committing stays with the request: a savepoint is released, not committed.
    """
    if not is_async_callable(func):
        raise TypeError(f"@transactional needs an async function; {func!r} is not one.")

    @functools.wraps(func)
    async def run_in_savepoint(*args: P.args, **kwargs: P.kwargs) -> R:
        session = _session_for(args)
        unit = session.info.get(UNIT_INFO_KEY)
        mark = len(unit.callbacks) if isinstance(unit, UnitOfWork) else 0
        try:
            async with session.begin_nested():
                return await func(*args, **kwargs)
        except BaseException:
            if isinstance(unit, UnitOfWork):
                del unit.callbacks[mark:]
            raise

    return run_in_savepoint
