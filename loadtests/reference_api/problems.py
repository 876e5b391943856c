"""Every refusal as RFC 9457 problem details: the rule, the field, what was expected.

Domain refusals are 409, or 404 for an unknown cart, order, sku or location; a malformed
command, body, header or a reused idempotency key is 422; a missing or wrong bearer token is
401; a store that cannot take the work is 503. Nothing a client sends is ever a 500.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from loadtests.reference_api.store import IdempotencyKeyReused, StoreError
from simulation.domain.errors import DomainError, MalformedCommand, UnknownAggregate

PROBLEM = "application/problem+json"


class Problem(BaseModel):
    """RFC 9457 problem details, as every refusal is answered."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    rule: str | None = None
    field: str | None = None
    expected: str | None = None
    context: dict[str, Any] | None = None


def _documented(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM: {"schema": Problem.model_json_schema()}},
    }


RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented("A body that is not JSON"),
    401: _documented("No valid bearer token for a write or an admin read"),
    404: _documented("An unknown cart, order, sku, location or action"),
    409: _documented("A domain rule refused the command"),
    422: _documented("A malformed body, path, query or header, naming the field"),
    503: _documented("The event store cannot take the work now; retry"),
}


class Unauthorised(Exception):
    """No ``Authorization: Bearer <token>`` header with the server's token."""


def problem_body(status: int, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}


def problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = problem_body(status, title, detail, **extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def refusal(error: DomainError) -> dict[str, Any]:
    """The problem details of a domain refusal: its rule and its context of ids and
    quantities."""
    status = 404 if isinstance(error, UnknownAggregate) else 409
    context = {
        k: v if isinstance(v, int | float | str | bool | list) else str(v)
        for k, v in error.context.items()
    }
    return problem_body(status, error.rule, error.message, rule=error.rule, context=context)


def add_problem_handlers(app: FastAPI) -> None:
    """Answer every error the API raises on purpose, and every framework error, as a problem."""

    @app.exception_handler(DomainError)
    async def refused(_: Request, error: DomainError) -> JSONResponse:
        body = refusal(error)
        return JSONResponse(body, status_code=body["status"], media_type=PROBLEM)

    @app.exception_handler(MalformedCommand)
    async def malformed(_: Request, error: MalformedCommand) -> JSONResponse:
        return problem(
            422, "malformed command", str(error), field=error.field, expected=error.expected
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return problem(422, "invalid request", f"{where}: {first['msg']}", field=where)

    @app.exception_handler(IdempotencyKeyReused)
    async def reused(_: Request, error: IdempotencyKeyReused) -> JSONResponse:
        rule = "idempotency.key_reused"
        return problem(
            422, rule, str(error), rule=rule, field="Idempotency-Key", context={"key": error.key}
        )

    @app.exception_handler(StoreError)
    async def unavailable(_: Request, error: StoreError) -> JSONResponse:
        detail = f"{error}; retry (with the same Idempotency-Key, a retry never writes twice)"
        return problem(503, "store.unavailable", detail, {"Retry-After": "1"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        headers = dict(error.headers or {})  # e.g. Allow on a 405
        detail = f"{request.method} {request.url.path}: {error.detail}"
        return problem(error.status_code, "request refused", detail, headers)

    @app.exception_handler(Unauthorised)
    async def unauthorised(_: Request, __: Exception) -> JSONResponse:
        detail = "writes and admin reads need the header 'Authorization: Bearer <token>'"
        return problem(401, "unauthorised", detail, {"WWW-Authenticate": "Bearer"})
