"""Domain errors raised by services become RFC 9457 problem details; toolkit routes can opt in too."""

from __future__ import annotations

from dependency_injector import containers, providers

from framework.bootstrap import create_app
from framework.controllers import controller, get
from framework.exceptions import HTTPException
from framework.problems import DomainError, NotFound, problem_exception_handlers, problem_response
from framework.requests import Request
from framework.responses import Response
from framework.routing import Route
from framework.testclient import TestClient


class OutOfStock(DomainError):
    """A domain-specific problem: its own status, title, type URI and machine-readable code."""

    status = 409
    title = "Out of stock"
    type = "https://example.com/problems/out-of-stock"
    code = "out_of_stock"


class StockService:
    def __init__(self) -> None:
        self.stock = {"lamp": 0, "desk": 3}

    def reserve(self, sku: str) -> int:
        if sku not in self.stock:
            raise NotFound(f"Product {sku!r} does not exist.")
        if self.stock[sku] == 0:
            raise OutOfStock(f"{sku!r} is sold out.", restock_in_days=3)
        self.stock[sku] -= 1
        return self.stock[sku]


@controller("/products")
class ProductController:
    def __init__(self, stock: StockService) -> None:
        self._stock = stock

    @get("/{sku}/reserve")
    async def reserve_product(self, sku: str) -> dict[str, int]:
        return {"left": self._stock.reserve(sku)}

    @get("/{sku}/admin")
    async def admin_product(self, sku: str) -> dict[str, str]:
        raise HTTPException(status_code=403, detail="Admins only.", headers={"X-Reason": "role"})


async def legacy_endpoint(request: Request) -> Response:
    if request.query_params.get("id") != "1":
        raise NotFound("Legacy record not found.")
    return problem_response(410, detail="This endpoint is retired.", successor="/products")


class Container(containers.DeclarativeContainer):
    stock_service = providers.Singleton(StockService)
    product_controller = providers.Factory(ProductController, stock=stock_service)


app = create_app(
    Container(),
    controllers=[ProductController],
    routes=[Route("/legacy", legacy_endpoint)],
    exception_handlers=problem_exception_handlers(),  # plain routes (and 404s) answer with problems too
)


with TestClient(app) as client:
    sold_out = client.get("/products/lamp/reserve")
    assert sold_out.status_code == 409
    assert sold_out.headers["content-type"] == "application/problem+json"
    assert sold_out.json() == {
        "type": "https://example.com/problems/out-of-stock",
        "title": "Out of stock",
        "status": 409,
        "detail": "'lamp' is sold out.",
        "instance": "/products/lamp/reserve",
        "restock_in_days": 3,
        "code": "out_of_stock",
    }

    missing = client.get("/products/chair/reserve")
    assert (missing.status_code, missing.json()["title"]) == (404, "Not Found")

    forbidden = client.get("/products/desk/admin")
    assert forbidden.status_code == 403
    assert forbidden.headers["x-reason"] == "role"
    assert forbidden.json()["detail"] == "Admins only."

    legacy = client.get("/legacy?id=1")
    assert legacy.status_code == 410
    assert legacy.json()["successor"] == "/products"
    assert client.get("/legacy").json()["detail"] == "Legacy record not found."
    assert client.get("/nowhere").headers["content-type"] == "application/problem+json"
