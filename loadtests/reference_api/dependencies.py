"""What the routes ask FastAPI for: the server's state, the bearer check, the idempotency key
bound to its request's fingerprint."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Annotated

from fastapi import Depends, Header, Request
from pydantic.json_schema import SkipJsonSchema

from loadtests.reference_api.fields import KeyHeader
from loadtests.reference_api.problems import Unauthorised
from loadtests.reference_api.state import ServerState
from loadtests.reference_api.store import Idempotency


def served(request: Request) -> ServerState:
    state: ServerState = request.app.state.omnicanal
    return state


Served = Annotated[ServerState, Depends(served)]


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).digest()


def authorised(
    state: Served,
    authorization: Annotated[str | SkipJsonSchema[None], Header()] = None,
) -> None:
    """Writes and admin reads need ``Authorization: Bearer <token>``, nothing else.

    The token is compared in constant time, through digests of equal length, so neither its
    value nor its length shows in the time an answer takes.
    """
    if state.token is None:
        return
    scheme, _, given = (authorization or "").partition(" ")
    matches = hmac.compare_digest(_digest(given), _digest(state.token))
    if scheme.lower() != "bearer" or not given or not matches:
        raise Unauthorised


Write = Annotated[None, Depends(authorised)]


def fingerprint(method: str, path: str, body: bytes) -> str:
    """The request an idempotency key stands for: method, path and query, and the body as
    JSON (key order and spacing do not count), or as bytes if it is not JSON."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    except (ValueError, RecursionError):
        canonical = body.decode("latin-1")
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


async def request_key(request: Request, key: KeyHeader = None) -> Idempotency | None:
    """The ``Idempotency-Key`` of the request, bound to the request's fingerprint."""
    if key is None:
        return None
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    body = await request.body()
    return Idempotency(key=key, fingerprint=fingerprint(request.method, target, body))


Key = Annotated[Idempotency | None, Depends(request_key)]
