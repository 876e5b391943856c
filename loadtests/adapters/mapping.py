"""A declarative adapter: a TOML file (mapping version 2) that says how to drive a target.

Point the replay at another API without writing Python::

    version = 2
    auth = "api"

    [profiles.api]
    headers = { Authorization = "Bearer ${token}" }

    [steps.open_cart]
    path = "/baskets"
    body = { owner = "cust-${customer}" }
    capture = { basket_url = "url" }        # a journey variable, from the answer's body

    [steps.add_to_cart]
    path = "${basket_url}lines/"            # a captured absolute URL (the target's host only)
    body = { product = "${product_url[sku]}", quantity = "${qty}" }   # a lookup; qty a number

Templates use ``${...}`` only (JSON and GraphQL braces are text), captures fill journey
variables (a capture that finds nothing diverges the journey: the simulation's ids are never
used in their place), a step may be several requests, auth profiles give a session per
journey or a token per run, and answers are classified by status and body (GraphQL's
refusals inside a 200 too). ``docs/engineer.md`` has every key; ``reference.toml`` beside
this file describes the reference API this way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any

import httpx

from loadtests.adapters.base import (
    DIVERGED,
    ERROR,
    IMPLICIT,
    OK,
    PARTIAL,
    SKIPPED,
    Adapter,
    Answer,
    Classified,
    JourneyState,
    ReplayRefused,
    Request,
    Send,
    TargetState,
    check_stock,
)
from loadtests.adapters.calls import Call, OffTarget
from loadtests.adapters.compiled import CompiledMapping, ReadPlan, StepPlan
from loadtests.adapters.compiler import read_mapping
from loadtests.adapters.paths import NOTHING
from loadtests.adapters.reads import fetch, field_value, read_rows, rows_of
from loadtests.adapters.template import Missing
from loadtests.journeys import Step

_IMPLICIT = Classified(IMPLICIT, detail="the target does this by itself (mapping: implicit)")
_OK = Classified(OK)


class MappingAdapter(Adapter):
    """An adapter described by a mapping file (see the module's documentation)."""

    def __init__(self, mapping: CompiledMapping, token: str | None = None) -> None:
        super().__init__(token)
        self.mapping = mapping
        self.name = mapping.file.name
        self.steps = mapping.steps
        self.cookies = mapping.file.cookies
        self.time_header = mapping.file.sim_time_header
        self.run_values: dict[str, Any] = dict(mapping.lookups)
        self.run_values["env"] = os.environ  # read by [profiles.*] only (checked at load)
        if token:
            self.run_values["token"] = token
        unlisted = mapping.file.unlisted
        self.unlisted = (
            _IMPLICIT if unlisted == "implicit"
            else Classified(SKIPPED, detail="not in the mapping (unlisted = unsupported)")
            if unlisted == "unsupported"
            else Classified(SKIPPED, detail="not in the mapping")
        )  # fmt: skip
        self.not_sent = {
            kind: _IMPLICIT if plan.status == "implicit"
            else Classified(SKIPPED, detail=f"unsupported by the target: {plan.reason}"
                            if plan.reason else "unsupported by the target")
            for kind, plan in self.steps.items() if plan.status != "mapped"
        }  # fmt: skip

    @classmethod
    def load(cls, path: Path, token: str | None = None) -> MappingAdapter:
        """Read and check a mapping file; the first problem is raised as an InputError that
        names the file, its line and the key."""
        compiled = read_mapping(path)
        error = compiled.first_error()
        if error is not None:
            raise error
        return cls(compiled, token)

    # ------------------------------------------------------------------ the journey
    def _values(self, step: Step, state: JourneyState) -> dict[str, Any]:
        values = {**self.run_values, **state.vars, **step.data}
        values["t"], values["kind"] = step.t, step.kind
        if "customer" not in values and state.customer is not None:
            values["customer"] = state.customer
        return values

    def _extra(self, step: Step, state: JourneyState) -> dict[str, str] | None:
        extra = {}
        if self.time_header:
            extra[self.time_header] = repr(float(step.t))
        if state.cookies:
            extra["Cookie"] = "; ".join(f"{k}={v}" for k, v in state.cookies.items())
        return extra or None

    def request(self, step: Step, ids: JourneyState) -> Request | None:
        """The first request of ``step`` (None when it sends none); see :meth:`perform`."""
        plan = self.steps.get(step.kind)
        if plan is None or not plan.calls:
            return None
        values = self._values(step, ids)
        return plan.calls[0].render(values, self._extra(step, ids), target=self.target)

    def perform(
        self, step: Step, state: JourneyState, send: Send
    ) -> tuple[Answer | None, Classified]:
        plan = self.steps.get(step.kind)
        if plan is None:
            return None, self.unlisted
        if plan.status != "mapped":
            return None, self.not_sent[step.kind]
        values = self._values(step, state)
        answer: Answer | None = None
        worst = _OK
        for call in plan.calls:
            if call.profile is not None and call.profile not in state.logins:
                failed = self._login(call.profile, step, values, state, send)
                if failed is not None:
                    return failed
            try:
                request = call.render(values, self._extra(step, state), target=self.target)
            except Missing as missing:
                return answer, self._missing(missing, state)
            except OffTarget as error:
                return answer, Classified(ERROR, detail=str(error))
            answer = send(request)
            classified = call.classify(answer, values)
            if classified.result not in (OK, PARTIAL):
                return answer, classified
            if classified.result == PARTIAL:
                worst = classified
            failed_capture = self._keep(call, step, answer, values, state)
            if failed_capture is not None:
                return answer, failed_capture
        return answer, worst

    def _keep(
        self, call: Call, step: Step, answer: Answer, values: dict[str, Any], state: JourneyState
    ) -> Classified | None:
        """Cookies and captures of an accepted answer; a capture that found nothing diverges."""
        if self.cookies:
            _keep_cookies(answer, state.cookies)
        for capture in call.captures:
            found = capture.read(answer, values)
            if found is NOTHING:
                if capture.optional:
                    continue
                why = f"{step.kind}: capture {capture.where} found nothing (status {answer.status})"
                state.failed[capture.var] = why
                state.diverged = state.diverged or why
                return Classified(DIVERGED, detail=why)
            try:
                capture.store(found, values, state.vars)
            except Missing as missing:
                return self._missing(missing, state)
            if capture.id is not None and step.data.get(capture.id) is not None:
                state.learn(capture.id, int(step.data[capture.id]), found)
        return None

    def _missing(self, missing: Missing, state: JourneyState) -> Classified:
        if missing.name in self.mapping.journey_vars:
            why = state.failed.get(missing.name) or "no earlier step of this journey captured it"
            return Classified(DIVERGED, detail=f"needs ${{{missing.shown}}}: {why}")
        if missing.name in self.mapping.lookups:
            return Classified(ERROR, detail=f"lookup {missing.shown}: no such key")
        return Classified(ERROR, detail=f"no value for ${{{missing.shown}}}")

    def _login(
        self, name: str, step: Step, values: dict[str, Any], state: JourneyState, send: Send
    ) -> tuple[Answer | None, Classified] | None:
        profile = self.mapping.profiles[name]
        state.logins.add(name)
        if profile.scope != "journey" or profile.login is None:
            return None
        login = profile.login
        try:
            request = login.render(values, self._extra(step, state), target=self.target)
        except Missing as missing:
            return None, self._missing(missing, state)
        answer = send(request)
        classified = login.classify(answer, values)
        if classified.result not in (OK, PARTIAL):
            detail = f"login {name}: {classified.detail}".rstrip(": ")
            return answer, Classified(classified.result, classified.rule, detail)
        failed = self._keep(login, step, answer, values, state)
        return None if failed is None else (answer, failed)

    def order_key(self, answer: Answer) -> float | None:
        header = self.mapping.file.order_header
        if not header:
            return None
        value = answer.headers.get(header.lower())
        if value is None:
            return None
        return float(value) + (0.0 if 200 <= answer.status < 300 else 0.5)

    # ------------------------------------------------------------------ before and after
    def _sender(self, http: httpx.Client) -> Send:
        def send(request: Request) -> Answer:
            try:
                got = http.request(request.method, request.path, json=request.json,
                                   headers=dict(request.headers))  # fmt: skip
            except httpx.HTTPError as error:
                raise ReplayRefused(
                    f"{request.name}: {request.method} {request.path}: no answer ({error})"
                ) from None
            return Answer(got.status_code, None, got.headers, raw=got.content)

        return send

    def _target(self, http: httpx.Client) -> str:
        return self.target or str(http.base_url)

    def connect(self, http: httpx.Client) -> None:
        """Log in the run's profiles and read the lookups the target serves."""
        send, target = self._sender(http), self._target(http)
        for profile in self.mapping.profiles.values():
            if profile.scope == "run" and profile.login is not None:
                answer, _ = fetch(profile.login, self.run_values, send, profile.login.name,
                                  target=target)  # fmt: skip
                for capture in profile.login.captures:
                    found = capture.read(answer, self.run_values)
                    if found is NOTHING:
                        raise ReplayRefused(f"{profile.login.name}: capture {capture.where} "
                                            "found nothing")  # fmt: skip
                    self.run_values[capture.var] = found
        for name, plan in self.mapping.lookup_reads.items():
            self.run_values[name] = self._lookup(name, plan, send, target)

    def prepare(self, http: httpx.Client, initial: Mapping[tuple[str, str], int]) -> None:
        """:meth:`connect`, then the prepare requests, then check the target's stock where
        the file says (or when it has no prepare requests)."""
        self.connect(http)
        send, target = self._sender(http), self._target(http)
        rows = [
            {"location": loc, "sku": sku, "qty": q} for (loc, sku), q in sorted(initial.items())
        ]
        values = {**self.run_values, "initial": rows}
        for call in self.mapping.prepare:
            for each in rows if call.each == "initial" else [{}]:
                fetch(call, {**values, **each}, send, call.name, target=target)
        prepare = self.mapping.file.prepare
        if self.mapping.check is not None:
            check_stock(self._check(self.mapping.check, initial, send, target), initial)
        elif prepare is None or not prepare.requests or prepare.verify:
            if self.mapping.stock is None:
                raise ReplayRefused(
                    "the mapping has no [prepare] requests, no [prepare.check] and no "
                    "[state.stock]: the replay cannot know the target starts from the "
                    "scenario's stock"
                )
            found = self._stock(send, target) if initial else {}
            check_stock({k: v[0] for k, v in found.items()}, initial)

    def _check(
        self, plan: ReadPlan, initial: Mapping[tuple[str, str], int], send: Send, target: str
    ) -> dict[tuple[str, str], int]:
        found = {}
        for loc, sku in sorted(initial):
            values = {**self.run_values, "location": loc, "sku": sku}
            rows = read_rows(plan, values, send, plan.call.name, target=target)
            found[loc, sku] = sum(_int(field_value(plan.fields["on_hand"], r, {})) for r in rows)
        return found

    def _lookup(self, name: str, plan: ReadPlan, send: Send, target: str) -> dict[Any, Any]:
        rows = read_rows(plan, self.run_values, send, plan.call.name, target=target)
        table = {}
        for row in rows:
            key, value = (field_value(plan.fields[k], row, {}) for k in ("key", "value"))
            if key is not None and value is not None:
                table[str(key)] = value
        if not table:
            where = f"at {plan.rows.source!r}" if plan.rows else "in it"
            raise ReplayRefused(f"{plan.call.name}: the target's answer has no rows {where}")
        return table

    def _reverse(self) -> dict[str, dict[str, Any]]:
        return {name: {str(v): k for k, v in table.items()}
                for name, table in self.run_values.items()
                if name in self.mapping.lookups and isinstance(table, dict)}  # fmt: skip

    def _stock(self, send: Send, target: str) -> dict[tuple[str, str], tuple[int, int]]:
        plan = self.mapping.stock
        if plan is None:
            return {}
        reverse = self._reverse()
        stock: dict[tuple[str, str], tuple[int, int]] = {}
        for row in read_rows(plan, self.run_values, send, plan.call.name, target=target):
            loc, sku = (field_value(plan.fields[k], row, reverse) for k in ("location", "sku"))
            on_hand = _int(field_value(plan.fields["on_hand"], row, reverse))
            reserved = (
                _int(field_value(plan.fields["reserved"], row, reverse))
                if "reserved" in plan.fields
                else 0
            )
            key = (str(loc), str(sku))
            held = stock.get(key, (0, 0))
            stock[key] = (held[0] + on_hand, held[1] + reserved)
        return stock

    def final_state(self, http: httpx.Client) -> TargetState:
        send, target = self._sender(http), self._target(http)
        stock = self._stock(send, target) if self.mapping.stock is not None else None
        orders = None
        plan = self.mapping.orders
        if plan is not None:
            reverse = self._reverse()
            orders = {}
            for row in read_rows(plan, self.run_values, send, plan.call.name, target=target):
                got = {k: field_value(f, row, reverse) for k, f in plan.fields.items()}
                key = got.pop("order")
                order: dict[str, Any] = {
                    k: (bool(v) if k == "cancelled" else float(v or 0)) for k, v in got.items()
                }
                if plan.legs is not None:
                    order["legs"] = {
                        str(field_value(plan.legs.fields["location"], leg, reverse)):
                        str(field_value(plan.legs.fields["status"], leg, reverse))
                        for leg in rows_of(plan.legs, row[0], {})
                    }  # fmt: skip
                orders[_id(key)] = order
        return TargetState(stock, orders)


def _int(value: Any) -> int:
    if value is None:
        return 0
    try:
        return int(float(value))
    except (TypeError, ValueError):
        raise ReplayRefused(f"a stock row holds {value!r} where a number was expected") from None


def _id(value: Any) -> Any:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _keep_cookies(answer: Answer, jar: dict[str, str]) -> None:
    headers = answer.headers
    get_list = getattr(headers, "get_list", None)
    values = get_list("set-cookie") if get_list else [headers.get("set-cookie", "")]
    for value in values:
        if not value:
            continue
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(value)
        except CookieError:
            continue
        for name, morsel in cookie.items():
            if morsel["max-age"] == "0" or morsel.value == "":
                jar.pop(name, None)
            else:
                jar[name] = morsel.value


__all__ = ["MappingAdapter", "StepPlan"]
