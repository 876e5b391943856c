"""The API's writes, one endpoint per write kind of the vocabulary, at its route.

Every write needs the bearer token, takes ``X-Sim-Time`` (its time, in simulated minutes) and
``Idempotency-Key``, builds its command from the path's fields and the body
(``Kind.command_from``), and answers with the events it produced, or a problem, and the
header ``X-Event-Position``: the store position after it (for a refusal, the one it was
decided at).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from inspect import Parameter, Signature
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from loadtests.reference_api.bodies import body_model
from loadtests.reference_api.dependencies import Key, Served, Write
from loadtests.reference_api.fields import PATH_TYPES, SimClock
from loadtests.reference_api.problems import PROBLEM
from loadtests.reference_api.routes import ROUTES, Route
from loadtests.reference_api.state import Answer, ServerState
from simulation.domain.vocabulary import KINDS, Kind

POSITION = "X-Event-Position"
"""Response header of every write: the store position after it (or, for a refusal, the
position it was decided at), so a client can order what it saw the way the server decided it."""


def answered(answer: Answer) -> JSONResponse:
    kind = PROBLEM if answer.status >= 400 else "application/json"
    return JSONResponse(
        answer.body,
        status_code=answer.status,
        media_type=kind,
        headers={POSITION: str(answer.position)},
    )


def endpoint(kind: Kind, route: Route) -> Callable[..., JSONResponse]:
    """The endpoint of a write kind: its path fields and its body model are its parameters
    (a signature FastAPI reads, so that both are checked and documented)."""
    model = body_model(kind, route.body_fields(kind))
    in_path = route.placeholders

    def write(**given: Any) -> JSONResponse:
        payload = {name: given[name] for name in in_path}
        if given.get("body") is not None:
            payload |= given["body"].model_dump(mode="json")
        state: ServerState = given["state"]
        build = functools.partial(kind.command_from, payload=payload)
        return answered(state.write(build, given["at"], given["key"]))

    def keyword(name: str, annotation: Any, default: Any = Parameter.empty) -> Parameter:
        return Parameter(name, Parameter.KEYWORD_ONLY, annotation=annotation, default=default)

    parameters = [keyword(name, PATH_TYPES[name]) for name in in_path]
    if model is not None:  # optional when every field has a default
        required = any(f.is_required() for f in model.model_fields.values())
        parameters.append(
            keyword("body", model) if required else keyword("body", model | None, None)
        )
    parameters += [
        keyword("state", Served), keyword("_", Write),
        keyword("at", SimClock, None), keyword("key", Key, None),
    ]  # fmt: skip
    write.__signature__ = Signature(parameters, return_annotation=JSONResponse)  # type: ignore[attr-defined]
    write.__name__ = write.__qualname__ = kind.name
    write.__doc__ = f"{kind.doc[0].upper()}{kind.doc[1:]}."
    return write


router = APIRouter()
for _kind in KINDS:
    if _kind.role == "write":
        _route = ROUTES[_kind.name]
        router.add_api_route(
            _route.path, endpoint(_kind, _route), methods=[_route.method],
            name=_kind.name, operation_id=_kind.name,
        )  # fmt: skip
