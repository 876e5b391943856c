"""The domain's given/when/then cases, run again over HTTP against the reference API.

Each command becomes the request the reference adapter would send, by its kind's route
(``loadtests/reference_api/routes.py``; ``X-Sim-Time`` carries its time);
the answer must be exactly the events the in-process backend produces, or a problem whose
``rule`` names the same refusal.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from loadtests.reference_api.app import _event_json, create_app
from loadtests.reference_api.routes import ROUTES
from simulation.domain import commands as c
from simulation.domain.vocabulary import BY_COMMAND
from tests.domain_cases import CASES, Case

TOKEN = "test-token"


def request_for(command: c.Command) -> tuple[str, dict[str, Any]]:
    """The path and JSON body that carry ``command``: its kind's route, from the vocabulary."""
    kind = BY_COMMAND[type(command)]
    path, body = ROUTES[kind.name].render(kind.name, kind.payload_of(command))
    return path, body or {}


def send(client: TestClient, command: c.Command) -> Any:
    path, body = request_for(command)
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Sim-Time": str(command.at)}  # type: ignore[attr-defined]
    return client.post(
        path, content=json.dumps(body), headers={**headers, "Content-Type": "application/json"}
    )


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case_over_http(case: Case) -> None:
    client = TestClient(create_app(token=TOKEN))
    for command in case.given:
        given = send(client, command)
        assert given.status_code == 200, given.text
    answer = send(client, case.when)
    if isinstance(case.then, list):
        assert answer.status_code == 200, answer.text
        expected = json.loads(json.dumps([_event_json(e) for e in case.then]))
        assert answer.json()["events"] == expected
        return
    assert answer.status_code in {404, 409}, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["rule"] == case.then.rule
    for key, value in case.context.items():
        assert problem["context"][key] == json.loads(json.dumps(value)), key
