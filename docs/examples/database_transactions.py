"""One transaction per request: committed before the response starts, rolled back on any error."""

from __future__ import annotations

import asyncio

from dependency_injector import containers, providers
from sqlalchemy import String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from framework.background import BackgroundTasks
from framework.bootstrap import create_app
from framework.controllers import controller, get, post
from framework.db import Database, Model, RequestSession, on_commit
from framework.settings import Settings
from framework.testing import AsyncTestClient


class Note(Model):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))


sent: list[str] = []


@controller("/notes")
class NoteController:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @post("", status_code=201)
    async def create_note(self, text: str, tasks: BackgroundTasks) -> dict[str, int]:
        note = Note(text=text)
        self.session.add(note)
        await self.session.flush()  # the INSERT runs now; the COMMIT after the handler returns
        on_commit(lambda: sent.append(f"note {note.id} stored"))  # only if the commit succeeds
        if text == "oops":
            raise ValueError("rejected after writing")  # -> 500, and the row is rolled back
        return {"id": note.id}

    @get("/count")
    async def count_notes(self) -> dict[str, int]:
        return {"count": await self.session.scalar(select(func.count()).select_from(Note)) or 0}


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings)  # DATABASE_URL, default sqlite+aiosqlite:///./app.db
    database = providers.Singleton(Database, url=settings.provided.database_url)
    session = RequestSession(database)  # one AsyncSession and transaction per request


async def main() -> None:
    container = Container()
    database = container.database()
    await database.create_all(Model.metadata)  # an application uses migrations instead
    app = create_app(container, controllers=[NoteController])
    async with AsyncTestClient(app, raise_app_exceptions=False) as client:
        created = await client.post("/notes", params={"text": "hello"})
        assert created.status_code == 201
        assert created.json() == {"id": 1}
        failed = await client.post("/notes", params={"text": "oops"})
        assert failed.status_code == 500
        count = await client.get("/notes/count")
        assert count.json() == {"count": 1}  # the failed request left nothing behind
    assert sent == ["note 1 stored"]
    await database.aclose()


asyncio.run(main())
