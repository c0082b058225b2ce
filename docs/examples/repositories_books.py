"""A repository per model: queries in one place, flushes but never commits, ordering from an allow-list."""

from __future__ import annotations

import asyncio

from dependency_injector import containers, providers
from pydantic import BaseModel, ConfigDict
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from framework.binding import Query
from framework.bootstrap import create_app
from framework.controllers import controller, get, post
from framework.db import Database, Model, Repository, RequestSession, transactional
from framework.problems import Conflict
from framework.testing import AsyncTestClient


class Book(Model):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100), unique=True)


class BookIn(BaseModel):
    title: str


class BookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    title: str


class BookRepository(Repository[Book]):
    ordering = ("title", "id")  # what ?order_by= may name


class BookService:
    def __init__(self, books: BookRepository) -> None:
        self.books = books

    @transactional  # a savepoint: if this raises, only its own writes are undone
    async def add_book(self, title: str) -> Book:
        if title.strip() == "":
            raise Conflict("A book needs a title.")
        return await self.books.add(Book(title=title))


@controller("/books")
class BookController:
    def __init__(self, service: BookService, books: BookRepository) -> None:
        self.service = service
        self.books = books

    @post("", status_code=201)
    async def create_book(self, data: BookIn) -> BookOut:
        return BookOut.model_validate(await self.service.add_book(data.title))

    @get("/{book_id:int}")
    async def get_book(self, book_id: int) -> BookOut:
        return BookOut.model_validate(await self.books.get(book_id))  # NotFound -> 404

    @get("")
    async def list_books(self, order_by: Query[str | None] = None) -> list[BookOut]:
        return [BookOut.model_validate(book) for book in await self.books.list(order_by=order_by)]


class Container(containers.DeclarativeContainer):
    database = providers.Singleton(Database, url="sqlite+aiosqlite:///./books.db")
    session = RequestSession(database)
    books = providers.Factory(BookRepository, session=session)
    service = providers.Factory(BookService, books=books)


async def main() -> None:
    container = Container()
    await container.database().create_all(Model.metadata)
    async with AsyncTestClient(create_app(container, controllers=[BookController])) as client:
        for title in ("Dune", "Anathem"):
            assert (await client.post("/books", json={"title": title})).status_code == 201
        listed = await client.get("/books", params={"order_by": "-title"})
        assert [book["title"] for book in listed.json()] == ["Dune", "Anathem"]
        refused = await client.get("/books", params={"order_by": "password"})
        assert refused.status_code == 422
        assert refused.json()["detail"] == "Cannot order by 'password'; allowed: id, title."
        missing = await client.get("/books/99")
        assert missing.status_code == 404
        assert missing.json()["detail"] == "Book 99 does not exist."
    await container.database().aclose()


asyncio.run(main())
