"""The domain's given/when/then cases, run again over HTTP against the reference API.

Each command becomes the request its route renders (``X-Sim-Time`` carries its time);
the answer must be exactly the events the in-process backend produces, or a problem whose
``rule`` names the same refusal.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from loadtests.reference_api.app import create_app
from loadtests.reference_api.routes import ROUTES, Request
from loadtests.reference_api.state import event_json
from simulation.domain import commands as c
from simulation.domain.vocabulary import BY_COMMAND
from tests.domain_cases import CASES, Case

TOKEN = "test-token"


def request_for(command: c.Command) -> Request:
    """The request that carries ``command``, rendered from its kind's route."""
    kind = BY_COMMAND[type(command)]
    return ROUTES[kind.name].render(kind, kind.payload_of(command))


def send(client: TestClient, command: c.Command) -> Any:
    request = request_for(command)
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Sim-Time": str(command.at)}  # type: ignore[attr-defined]
    return client.request(request.method, request.url, json=request.body, headers=headers)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case_over_http(case: Case) -> None:
    client = TestClient(create_app(token=TOKEN))
    for command in case.given:
        given = send(client, command)
        assert given.status_code == 200, given.text
    answer = send(client, case.when)
    if isinstance(case.then, list):
        assert answer.status_code == 200, answer.text
        expected = json.loads(json.dumps([event_json(e) for e in case.then]))
        assert answer.json()["events"] == expected
        return
    assert answer.status_code in {404, 409}, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["rule"] == case.then.rule
    for key, value in case.context.items():
        assert problem["context"][key] == json.loads(json.dumps(value)), key
