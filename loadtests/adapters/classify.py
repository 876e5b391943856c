"""What a target's answer means, read from its status and its body as a mapping file says.

Body rules (``[[classify.when]]``) come first, in order; a GraphQL request's ``errors``,
``userErrors`` and union error types (a ``data.<field>.__typename`` ending in ``Error``)
next (GraphQL refuses inside a 200); then the status: 401, 403 and 406 are
always ``unauthorised``, and the lists ``ok``, ``partial``, ``not_found``, ``refused`` and
``unauthorised`` override the defaults for the statuses they name (every 2xx ok, 404
not_found, any other 4xx refused, the rest error). For anything but ok, the target's code
(at the ``code`` paths) is mapped to the simulation's rule through ``codes``, or the value at
``rule`` is the rule itself; ``detail`` says the target's words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loadtests.adapters.base import (
    ERROR,
    NOT_FOUND,
    OK,
    PARTIAL,
    REFUSED,
    UNAUTHORISED,
    Answer,
    Classified,
)
from loadtests.adapters.mapping_file import Classify
from loadtests.adapters.paths import NOTHING, Path, parse_path

ALWAYS_UNAUTHORISED = (401, 403, 406)
GRAPHQL_UNAUTHORISED = frozenset({"UNAUTHENTICATED", "UNAUTHORIZED", "FORBIDDEN", "ACCESS_DENIED"})
_DETAILS = ("detail", "title", "message", "error.message", "error", "errors[0].message")
_PLAIN = {r: Classified(r) for r in (OK, PARTIAL)}
_GQL_CODE = parse_path("extensions.code")
_CODE = parse_path("code")
_MESSAGE = parse_path("message")


def merge(*specs: Classify | None) -> Classify:
    """Specs from the most particular (a request's) to the most general (the file's): a key
    set in a more particular one wins; codes are merged; body rules are tried in that order."""
    given = [s for s in specs if s is not None]
    fields: dict[str, Any] = {}
    for spec in reversed(given):
        fields |= {k: getattr(spec, k) for k in spec.model_fields_set}
    fields["codes"] = {k: v for s in reversed(given) for k, v in s.codes.items()}
    fields["when"] = [w for s in given for w in s.when]
    return Classify(**fields)


@dataclass(frozen=True, slots=True)
class _Rule:
    status: frozenset[int] | None
    path: Path
    equals: Any
    result: str
    code: Path | None
    rule: str | None
    detail: Path | None


def _matches(found: Any, equals: Any) -> bool:
    if found is NOTHING:
        return False
    if equals is not None:
        return found == equals or str(found) == str(equals)
    return bool(found) or found == 0


class Classifier:
    """One request's classification, compiled once (see the module's documentation)."""

    def __init__(self, spec: Classify, *, graphql: bool = False) -> None:
        self.graphql = graphql
        self.codes = dict(spec.codes)
        self.code = [parse_path(c) for c in _listed(spec.code)]
        self.rule = parse_path(spec.rule) if spec.rule else None
        self.detail = [parse_path(d) for d in ((spec.detail,) if spec.detail else _DETAILS)]
        self.when = [
            _Rule(frozenset(w.status) if w.status else None, parse_path(w.path), w.equals,
                  w.result, parse_path(w.code) if w.code else None, w.rule,
                  parse_path(w.detail) if w.detail else None)
            for w in spec.when
        ]  # fmt: skip
        self.by_status: dict[int, str] = {}
        for result, statuses in (
            (NOT_FOUND, spec.not_found), (REFUSED, spec.refused), (PARTIAL, spec.partial),
            (OK, spec.ok), (UNAUTHORISED, spec.unauthorised),
        ):  # fmt: skip
            for status in statuses or ():
                self.by_status[status] = result
        for status in ALWAYS_UNAUTHORISED:
            self.by_status[status] = UNAUTHORISED

    def __call__(self, answer: Answer, values: Mapping[str, Any] | None = None) -> Classified:
        status = answer.status
        if status == 0:
            return Classified(ERROR, detail=answer.error or "no answer")
        if self.when or self.graphql:
            found = self._body(answer, values or {})
            if found is not None:
                return found
        result = self.by_status.get(status) or _default(status)
        if result in _PLAIN:
            return _PLAIN[result]
        return self._refusal(result, answer.body)

    def _body(self, answer: Answer, values: Mapping[str, Any]) -> Classified | None:
        body = answer.body
        for rule in self.when:
            if rule.status is not None and answer.status not in rule.status:
                continue
            if _matches(rule.path.get(body, values), rule.equals):
                if rule.result in _PLAIN:
                    return _PLAIN[rule.result]
                code = _text(rule.code.get(body, values)) if rule.code else None
                detail = _text(rule.detail.get(body, values)) if rule.detail else None
                return self._refusal(rule.result, body, code=code, rule=rule.rule, detail=detail)
        if self.graphql and isinstance(body, dict):
            return self._graphql(body)
        return None

    def _graphql(self, body: dict[str, Any]) -> Classified | None:
        code: str | None
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            first = errors[0] if isinstance(errors[0], dict) else {}
            code = _text(_GQL_CODE.get(first)) or _text(_CODE.get(first))
            detail = _text(_MESSAGE.get(first)) or str(errors[0])
            result = UNAUTHORISED if code in GRAPHQL_UNAUTHORISED else REFUSED
            return self._refusal(result, body, code=code, detail=detail)
        data = body.get("data")
        for value in data.values() if isinstance(data, dict) else ():
            if not isinstance(value, dict):
                continue
            wrong = value.get("userErrors")
            if isinstance(wrong, list) and wrong:
                first = wrong[0] if isinstance(wrong[0], dict) else {}
                words = _text(_MESSAGE.get(first)) or str(wrong[0])
                return self._refusal(REFUSED, body, code=_text(_CODE.get(first)), detail=words)
            typename = value.get("__typename")
            if isinstance(typename, str) and typename.endswith("Error"):  # a union's error type
                code = _text(_CODE.get(value)) or typename
                words = _text(_MESSAGE.get(value)) or ""
                return self._refusal(REFUSED, body, code=code, detail=words)
        return None

    def _refusal(
        self,
        result: str,
        body: Any,
        *,
        code: str | None = None,
        rule: str | None = None,
        detail: str | None = None,
    ) -> Classified:
        if code is None:
            code = next((_text(c.get(body)) for c in self.code if c.get(body) is not NOTHING),
                        None)  # fmt: skip
        if rule is None and code is not None:
            rule = self.codes.get(code)
        if rule is None and self.rule is not None:
            rule = _text(self.rule.get(body))
        if detail is None:
            detail = next((_text(d.get(body)) for d in self.detail if d.get(body) is not NOTHING),
                          "")  # fmt: skip
        words = detail or ""
        if code and code not in words:
            words = f"{code}: {words}" if words else code
        return Classified(result, rule, words[:300])


def _default(status: int) -> str:
    if 200 <= status < 300:
        return OK
    if status == 404:
        return NOT_FOUND
    if 400 <= status < 500 and status not in (408, 429):  # a timeout, a rate limit: no answer
        return REFUSED
    return ERROR


def _listed(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _text(value: Any) -> str | None:
    if value is NOTHING or value is None:
        return None
    return value if isinstance(value, str) else str(value)
