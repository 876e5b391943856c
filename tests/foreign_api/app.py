"""The foreign shop as one FastAPI app: the REST face, its admin, and the GraphQL face, over
one :class:`~tests.foreign_api.shop.Shop`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from tests.foreign_api import admin, graphql_face, rest
from tests.foreign_api.shop import Shop, ShopError

ADMIN_USER = "shop-admin"
_JSON = ("application/json", "application/*", "*/*", "application/graphql-response+json")


def acceptable(accept: str | None) -> bool:
    """True when an ``Accept`` header (or none) allows a JSON answer."""
    if not accept:
        return True
    types = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    return any(t in types for t in _JSON)


def create_app(
    *, admin_password: str, admin_user: str = ADMIN_USER, oversell: str | None = None
) -> FastAPI:
    """The shop, empty until an admin resets it; ``oversell`` plants the bug for that sku."""
    app = FastAPI(title="foreign shop (a test target)", openapi_url=None)
    app.state.shop = Shop(admin_user=admin_user, admin_password=admin_password, oversell=oversell)
    app.include_router(rest.router)
    app.include_router(admin.router)
    app.include_router(graphql_face.router)

    @app.middleware("http")
    async def only_json(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if not acceptable(request.headers.get("accept")):
            detail = f"this shop answers JSON only, not {request.headers['accept']!r}"
            return JSONResponse({"code": "NOT_ACCEPTABLE", "detail": detail}, status_code=406)
        return await call_next(request)

    @app.exception_handler(ShopError)
    async def refused(_request: Request, error: ShopError) -> JSONResponse:
        return JSONResponse({"code": error.code, "detail": error.detail}, status_code=error.status)

    @app.exception_handler(RequestValidationError)
    async def malformed(_request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        body = {"code": "INVALID_REQUEST", "detail": f"{where}: {first['msg']}"}
        return JSONResponse(body, status_code=400)

    return app
