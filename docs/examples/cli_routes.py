"""`framework routes cli_routes:app` prints the route table, with what each controller pulls from the container."""

from __future__ import annotations

import contextlib
import io

from dependency_injector import containers, providers

from framework.applications import Application
from framework.bootstrap import create_app
from framework.controllers import controller, get, post
from framework.testclient import TestClient


class Clock:
    pass


class OrderService:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock


class Container(containers.DeclarativeContainer):
    clock = providers.Singleton(Clock)
    order_service = providers.Factory(OrderService, clock=clock)


@controller("/orders", name="orders")
class OrderController:
    def __init__(self, orders: OrderService) -> None:
        self.orders = orders

    @get("/")
    async def list_orders(self) -> list[int]:
        return [1, 2]

    @post("/", status_code=201)
    async def create_order(self) -> dict[str, int]:
        return {"id": 3}


def build_app() -> Application:
    return create_app(Container(), controllers=[OrderController], openapi=False)


app = build_app()

if __name__ == "__main__":
    from framework.cli import main

    with TestClient(app) as client:
        assert client.get("/orders").json() == [1, 2]

    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        assert main(["routes", "cli_routes:app"]) == 0  # the same as `framework routes cli_routes:app`
    assert output.getvalue().splitlines() == [
        "METHODS   PATH     NAME                 HANDLER                       PROVIDERS",
        "GET,HEAD  /orders  orders:list_orders   OrderController.list_orders   order_service",
        "POST      /orders  orders:create_order  OrderController.create_order  order_service",
    ]
