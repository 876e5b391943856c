"""Compiling a mapping file: every template, path and classification parsed once, every
name checked against what can fill it, every problem kept with its key (and so its line).

:func:`read_mapping` never stops at the first problem: ``--check-mapping`` prints them all;
:meth:`MappingAdapter.load` raises the first.
"""

from __future__ import annotations

import csv
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path as FilePath
from typing import Any

from pydantic import ValidationError

from loadtests.adapters.calls import Call, Capture
from loadtests.adapters.classify import Classifier, merge
from loadtests.adapters.compiled import (
    CompiledMapping,
    FieldPlan,
    Problem,
    ProfilePlan,
    ReadPlan,
    StepPlan,
)
from loadtests.adapters.mapping_file import Capture as CaptureSpec
from loadtests.adapters.mapping_file import (
    Classify,
    FieldSpec,
    Lookup,
    MappingFile,
    Profile,
    Read,
    RequestSpec,
    StepSpec,
)
from loadtests.adapters.paths import Path, parse_path
from loadtests.adapters.template import (
    Compiled,
    TemplateError,
    compile_template,
    compile_value,
)
from loadtests.adapters.toml_lines import Key, index_lines
from loadtests.journeys import SENT
from simulation.domain import errors as domain_errors
from simulation.domain.vocabulary import BY_NAME
from simulation.errors import InputError, Shown

BUILTINS = frozenset({"t", "kind", "token", "customer"})
"""Names every template may read besides a step's fields (``customer``: the journey's)."""
PREPARE_NAMES = frozenset({"initial", "location", "sku", "qty"})
PAGE_NAMES = frozenset({"page", "skip", "take"})
FIELDS = frozenset(f for k in BY_NAME.values() for f in k.fields)
RULES = frozenset(
    c.rule for c in vars(domain_errors).values()
    if isinstance(c, type) and issubclass(c, domain_errors.DomainError)
    and c is not domain_errors.DomainError
)  # fmt: skip
"""The simulation's rule names, as the domain's errors name them."""
V1_HINT = (
    "a version 2 mapping (`version = 2` at the top). This looks like a version 1 file: write "
    'placeholders as ${name} instead of {name}, captures as `capture = { variable = "path" }` '
    '(a capture of the target\'s order id as `{ path = "id", id = "order" }`), the reset '
    "as [[prepare.requests]], and the final state as [state.stock] / [state.orders]; "
    "docs/engineer.md section 3 has every key, and loadtests/adapters/reference.toml is a "
    "complete example"
)


def read_mapping(path: FilePath) -> CompiledMapping:
    """Read, check and compile a mapping file (problems are kept, not raised: see
    :meth:`CompiledMapping.first_error`); an unreadable file, bad TOML or a version 1 file
    raise :class:`InputError` at once."""
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except OSError as error:
        raise InputError(str(path), "a readable TOML file", str(error)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(str(path), "valid TOML", str(error)) from None
    lines = index_lines(text)
    if raw.get("version") != 2:
        line = lines.get(("version",))
        where = f"{path}:{line}" if line else str(path)
        if "version" in raw:
            raise InputError("version", "2 (the mapping format's only version)", raw["version"],
                             where=where)  # fmt: skip
        raise InputError("version", V1_HINT, Shown("no version key"), where=where)
    problems: list[Problem] = []
    while True:  # a step with a wrong shape is left out, so that the others are checked too
        try:
            model = MappingFile.model_validate(raw)
            break
        except ValidationError as error:
            wrong = _shape_problems(error)
            problems += wrong
            steps = {p.key[1] for p in wrong if p.key[:1] == ("steps",) and len(p.key) > 1}
            if any(p.key[:1] != ("steps",) or len(p.key) < 2 for p in wrong):
                return CompiledMapping(MappingFile(version=2), path, text, problems=problems,
                                       lines=lines)  # fmt: skip
            raw = {**raw, "steps": {k: v for k, v in raw["steps"].items() if k not in steps}}
    compiled = _Compiler(CompiledMapping(model, path, text, lines=lines)).run()
    compiled.problems[:0] = problems
    return compiled


def _shape_problems(error: ValidationError) -> list[Problem]:
    """pydantic's errors as problems; of a union's alternatives (a string or a table), only
    the one of the kind given is kept."""
    out = []
    for e in error.errors():
        given, message = e.get("input"), e["msg"]
        if isinstance(given, dict) and message == "Input should be a valid string":
            continue
        if not isinstance(given, dict) and message.startswith("Input should be a valid dict"):
            continue
        loc = tuple(p for p in e["loc"] if not _union_tag(p))
        expected = message.removeprefix("Value error, ").removeprefix("Input should be ")
        out.append(Problem(loc, expected, _shown(given)))
    return out


def _union_tag(part: str | int) -> bool:
    return isinstance(part, str) and (part in _UNION_TAGS or "[" in part or "(" in part)


_V1_PLACEHOLDER = re.compile(r"(?<!\$)\{\w+\??\}")
"""A ``{name}`` placeholder of the first format, in a path (where braces are never text)."""
_UNION_TAGS = frozenset({"str", "Capture", "FieldSpec"})
"""The names pydantic puts in an error's location for the alternatives of a union."""


def _shown(value: Any) -> object:
    text = repr(value)
    return value if len(text) <= 80 else text[:77] + "..."


class _Compiler:
    def __init__(self, out: CompiledMapping) -> None:
        self.out, self.file = out, out.file
        self.known = BUILTINS | set(self.file.lookups)
        self.out.journey_vars, self.out.run_vars = self._variables()

    def problem(self, key: Key, expected: str, given: object) -> None:
        self.out.problems.append(Problem(key, expected, given))

    def run(self) -> CompiledMapping:
        for key, classify in self._classifies():
            self._rules(key, classify)
        self._lookups()
        for name, profile in self.file.profiles.items():
            self.out.profiles[name] = self._profile(name, profile)
        for kind, spec in self.file.steps.items():
            if kind not in SENT:
                self.problem(("steps", kind), f"a step kind, one of {sorted(SENT)}", kind)
                continue
            self.out.steps[kind] = self._step(kind, spec)
        self._prepare()
        self._state()
        auth = self.file.auth
        if auth is not None and auth != "none" and auth not in self.file.profiles:
            self.problem(("auth",), f"an auth profile, one of {sorted(self.file.profiles)}", auth)
        return self.out

    def _classifies(self) -> Iterable[tuple[Key, Classify | None]]:
        """Every [classify] of the file, with its key."""
        yield ("classify",), self.file.classify
        for kind, step in self.file.steps.items():
            yield ("steps", kind, "classify"), step.classify
            for i, request in enumerate(step.requests or ()):
                yield ("steps", kind, "requests", i, "classify"), request.classify
        for name, lookup in self.file.lookups.items():
            yield ("lookups", name, "classify"), lookup.classify
        for name, read in (("stock", self.file.state.stock), ("orders", self.file.state.orders)):
            yield ("state", name, "classify"), read.classify if read else None
        for i, request in enumerate(self.file.prepare.requests if self.file.prepare else ()):
            yield ("prepare", "requests", i, "classify"), request.classify

    def _rules(self, key: Key, spec: Classify | None) -> None:
        """The rules a classification names are the domain's."""
        if spec is None:
            return
        expected = f"a rule of simulation/domain/errors.py, one of {sorted(RULES)}"
        for code, rule in spec.codes.items():
            if rule not in RULES:
                self.problem((*key, "codes", code), expected, rule)
        for i, when in enumerate(spec.when):
            if when.rule is not None and when.rule not in RULES:
                self.problem((*key, "when", i, "rule"), expected, when.rule)

    # -------------------------------------------------------------- names and variables
    def _variables(self) -> tuple[frozenset[str], frozenset[str]]:
        journey: set[str] = set()
        run: set[str] = set()
        for kind, spec in self.file.steps.items():
            for i, call in enumerate(spec.calls()):
                journey |= {self._var_name(v, _request_key(("steps", kind), spec, i, "capture", v))
                            for v in call.capture}  # fmt: skip
        for name, profile in self.file.profiles.items():
            if profile.login is not None:
                into = journey if profile.scope == "journey" else run
                into |= {self._var_name(v, ("profiles", name, "login", "capture", v))
                         for v in profile.login.capture}  # fmt: skip
        return frozenset(journey), frozenset(run)

    def _var_name(self, text: str, key: Key) -> str:
        name = text.split("[", 1)[0].strip()
        reserved = FIELDS | BUILTINS | {"env"} | set(self.file.lookups)
        if not name.isidentifier():
            self.problem(key, "a variable name (letters, digits, _), optionally name[expr]", text)
        elif name in reserved:
            what = "a lookup" if name in self.file.lookups else "a step field or a built-in name"
            self.problem(key, f"a variable name that is not {what} (the simulation's values "
                         "are never overwritten: e.g. target_" + name + ")", text)  # fmt: skip
        return name

    def _check_names(
        self, key: Key, compiled: Compiled, allowed: Iterable[str], *, env: bool = False
    ) -> None:
        allowed = set(allowed) | self.known | self.out.journey_vars | self.out.run_vars
        for name in sorted(compiled.names - allowed - {"env"}):
            self.problem(key, "names a step field, a captured variable, a lookup or one of "
                         f"{sorted(BUILTINS)}", f"${{{name}}}")  # fmt: skip
        if compiled.env and not env:
            self.problem(
                key, "${env.NAME} only inside [profiles.*]", f"${{env.{min(compiled.env)}}}"
            )

    def _value(
        self, key: Key, value: Any, allowed: Iterable[str], *, env: bool = False
    ) -> Compiled | None:
        try:
            compiled = compile_value(value)
        except TemplateError as error:
            self.problem(key, "a template (see ${...} in docs/engineer.md)", str(error))
            return None
        self._check_names(key, compiled, allowed, env=env)
        return compiled

    def _path(self, key: Key, text: str) -> Path | None:
        try:
            return parse_path(text)
        except TemplateError as error:
            self.problem(key, "a body path such as data.items[0].id or lines[sku=${sku}].url",
                         str(error))  # fmt: skip
            return None

    # -------------------------------------------------------------- requests
    def _call(
        self,
        key: Key,
        spec: RequestSpec | Read,
        name: str,
        allowed: Iterable[str],
        *,
        profile: str | None,
        step: StepSpec | None = None,
        env: bool = False,
        classify: Iterable[Classify | None] = (),
    ) -> Call | None:
        allowed = set(allowed)
        ok = True
        try:
            path = compile_template(spec.path)
        except TemplateError as error:
            self.problem((*key, "path"), "a path template", str(error))
            return None
        if not (spec.path.startswith("/") or spec.path.startswith("${")):
            self.problem((*key, "path"), "a path starting with / (or with a captured URL ${...})",
                         spec.path)  # fmt: skip
            ok = False
        if _V1_PLACEHOLDER.search(spec.path):
            self.problem((*key, "path"), "${name} placeholders (a {name} is version 1)", spec.path)
            ok = False
        self._check_names((*key, "path"), Compiled(path.render, path.names, path.env), allowed)
        params = (
            self._value((*key, "params"), spec.params, allowed, env=env) if spec.params else None
        )
        body = (
            self._value((*key, "body"), spec.body, allowed, env=env)
            if spec.body is not None
            else None
        )
        variables = (
            self._value((*key, "variables"), spec.variables, allowed, env=env)
            if spec.variables is not None else None
        )  # fmt: skip
        chosen = spec.auth if spec.auth is not None else profile
        headers = self._headers(key, spec.headers, step, chosen, allowed, env=env)
        captures = tuple(
            c
            for v, where in getattr(spec, "capture", {}).items()
            if (c := self._capture((*key, "capture", v), v, where, allowed)) is not None
        )
        if chosen is not None and chosen != "none" and chosen not in self.file.profiles:
            self.problem(
                (*key, "auth"),
                f"an auth profile, one of {sorted(self.file.profiles)} or 'none'",
                chosen,
            )
            ok = False
        merged = merge(spec.classify, *classify, self.file.classify)
        try:
            classifier = Classifier(merged, graphql=spec.query is not None)
        except TemplateError as error:
            self.problem((*key, "classify"), "body paths", str(error))
            return None
        if not ok:
            return None
        method = spec.method or ("POST" if isinstance(spec, RequestSpec) else "GET")
        return Call(name=name, method=method, path=path, params=params, headers=headers,
                    body=body, graphql=spec.query, variables=variables, captures=captures,
                    profile=None if chosen in (None, "none") else chosen, classify=classifier,
                    each=getattr(spec, "each", None), key=key)  # fmt: skip

    def _headers(
        self,
        key: Key,
        own: Mapping[str, str],
        step: StepSpec | None,
        profile: str | None,
        allowed: Iterable[str],
        *,
        env: bool,
    ) -> tuple[tuple[str, Compiled, Key], ...]:
        layers: list[tuple[Key, Mapping[str, str], bool]] = [(("headers",), self.file.headers, env)]
        chosen = self.file.profiles.get(profile or "")
        if chosen is not None:
            layers.append((("profiles", profile or "", "headers"), chosen.headers, True))
        if step is not None and step.requests:
            layers.append(((*key[:2], "headers"), step.headers, env))
        layers.append(((*key, "headers"), own, env))
        merged: dict[str, tuple[str, Compiled, Key]] = {}
        for where, headers, may_env in layers:
            for name, text in headers.items():
                compiled = self._value((*where, name), text, allowed, env=may_env)
                if compiled is not None:
                    merged[name.lower()] = (name, compiled, (*where, name))
        return tuple(merged.values())

    def _capture(self, key: Key, var: str, where: Any, allowed: Iterable[str]) -> Capture | None:
        name, _, rest = var.partition("[")
        index = None
        if rest:
            if not rest.endswith("]"):
                self.problem(key, "a variable name, or name[expr]", var)
                return None
            index_text = rest[:-1].strip()
            if index_text.startswith("${") and index_text.endswith("}"):  # line[${sku}]
                index_text = index_text[2:-1]
            compiled = self._value(key, "${" + index_text + "}", allowed)
            if compiled is None:
                return None
            index = compiled.render
        spec: CaptureSpec | None = None if isinstance(where, str) else where
        if spec is None:
            text = str(where)
            header = text.removeprefix("header:").strip() if text.startswith("header:") else None
        else:
            text, header = spec.path or "", spec.header
        path = None
        if header is None:
            path = self._path(key, text)
            if path is None:
                return None
            self._check_names(key, Compiled(lambda _v: None, path.names, frozenset()), allowed)
        shown = f"{var} = {where!r}" if isinstance(where, str) else f"{var} = {spec}"
        return Capture(name.strip(), index, path, header, spec.id if spec else None,
                       bool(spec and spec.optional), shown)  # fmt: skip

    # -------------------------------------------------------------- sections
    def _step(self, kind: str, spec: StepSpec) -> StepPlan:
        allowed = set(BY_NAME[kind].fields)
        calls = []
        for i, request in enumerate(spec.calls()):
            key = ("steps", kind, "requests", i) if spec.requests else ("steps", kind)
            name = request.name or (kind if i == 0 else f"{kind}#{i + 1}")
            profile = spec.auth if spec.auth is not None else self.file.auth
            call = self._call(key, request, name, allowed, profile=profile, step=spec,
                              classify=(spec.classify,) if spec.requests else ())  # fmt: skip
            if call is not None:
                calls.append(call)
        return StepPlan(kind, spec.status, spec.reason, tuple(calls))

    def _profile(self, name: str, profile: Profile) -> ProfilePlan:
        login = None
        if profile.login is not None:
            allowed = FIELDS if profile.scope == "journey" else set()
            login = self._call(("profiles", name, "login"), profile.login, f"login: {name}",
                               allowed, profile="none", env=True)  # fmt: skip
        return ProfilePlan(name, profile.scope, login)

    def _prepare(self) -> None:
        if self.file.prepare is None:
            return
        calls = []
        for i, request in enumerate(self.file.prepare.requests):
            call = self._call(("prepare", "requests", i), request, f"prepare #{i + 1}",
                              PREPARE_NAMES, profile=self.file.auth)  # fmt: skip
            if call is not None:
                calls.append(call)
        self.out.prepare = tuple(calls)
        check = self.file.prepare.check
        if check is not None:
            self.out.check = self._read(("prepare", "check"), check, "prepare: check",
                                        {"on_hand": check.on_hand}, PREPARE_NAMES)  # fmt: skip

    def _lookups(self) -> None:
        for name, lookup in self.file.lookups.items():
            key = ("lookups", name)
            if lookup.file is not None:
                self._lookup_file(key, name, lookup)
                continue
            fields = {"key": lookup.key or "", "value": lookup.value or ""}
            plan = self._read(key, lookup.read(), f"lookup: {name}", fields)
            if plan is not None:
                self.out.lookup_reads[name] = plan
                self.out.lookups[name] = {}

    def _lookup_file(self, key: Key, name: str, lookup: Lookup) -> None:
        path = (self.out.source.parent / (lookup.file or "")).resolve()
        try:
            table = load_table(path, lookup.key, lookup.value)
        except (OSError, ValueError) as error:
            self.problem((*key, "file"), "a CSV file with a header row, or a JSON object or "
                         "list of objects, beside the mapping", f"{path} ({error})")  # fmt: skip
            return
        self.out.lookups[name] = table

    def _read(
        self,
        key: Key,
        read: Read,
        name: str,
        fields: Mapping[str, Any],
        allowed: Iterable[str] = PAGE_NAMES,
    ) -> ReadPlan | None:
        call = self._call(key, read, name, allowed, profile=self.file.auth)
        rows = self._path((*key, "rows"), read.rows) if read.rows else None
        if call is None or (read.rows and rows is None):
            return None
        plans: dict[str, FieldPlan] = {}
        for field_name, spec in fields.items():
            if spec is None or field_name == "legs":
                continue
            plan = self._field((*key, field_name), spec)
            if plan is not None:
                plans[field_name] = plan
        pages = read.pages
        paths: dict[str, Path | None] = {}
        for which in ("next", "last", "total"):
            text = getattr(pages, which, None) if pages is not None else None
            paths[which] = (
                self._path((*key, "pages", which), text) if isinstance(text, str) else None
            )
        if pages is not None and pages.page is not None and "page" not in call.path.names:
            self.problem((*key, "path"), "${page} in the path of a read paged by number", read.path)
        if (
            pages is not None
            and pages.take is not None
            and not {"skip", "take"}
            & (call.path.names | (call.params.names if call.params else frozenset()))
        ):
            self.problem(
                (*key, "path"),
                "${skip} (and ${take}) in the path or params of a read paged by skip/take",
                read.path,
            )
        return ReadPlan(call, pages, rows, plans, paths["next"], paths["last"], paths["total"])

    def _field(self, key: Key, spec: str | FieldSpec) -> FieldPlan | None:
        text = spec if isinstance(spec, str) else spec.path
        path = self._path(key, text)
        if path is None:
            return None
        via = None if isinstance(spec, str) else spec.via
        if via is not None and via not in self.file.lookups:
            self.problem((*key, "via"), f"a lookup, one of {sorted(self.file.lookups)}", via)
        equals = None if isinstance(spec, str) else spec.equals
        return FieldPlan(path, via, equals)

    def _state(self) -> None:
        stock, orders = self.file.state.stock, self.file.state.orders
        if stock is not None:
            fields = {k: getattr(stock, k) for k in ("location", "sku", "on_hand", "reserved")}
            self.out.stock = self._read(("state", "stock"), stock, "state: stock", fields)
        if orders is not None:
            fields = {k: getattr(orders, k) for k in ("order", "paid", "refunded", "cancelled")}
            plan = self._read(("state", "orders"), orders, "state: orders", fields)
            if plan is not None and orders.legs is not None:
                rows = self._path(("state", "orders", "legs", "rows"), orders.legs.rows)
                legs = {k: self._field(("state", "orders", "legs", k), getattr(orders.legs, k))
                        for k in ("location", "status")}  # fmt: skip
                if rows is not None and all(legs.values()):
                    kept = {k: v for k, v in legs.items() if v is not None}
                    leg_plan = ReadPlan(plan.call, None, rows, kept)
                    plan = ReadPlan(plan.call, plan.pages, plan.rows, plan.fields, plan.next,
                                    plan.last, plan.total, leg_plan)  # fmt: skip
            self.out.orders = plan


def _request_key(base: Key, spec: StepSpec, index: int, *rest: str) -> Key:
    return (*base, "requests", index, *rest) if spec.requests else (*base, *rest)


def load_table(path: FilePath, key: str | None, value: str | None) -> dict[Any, Any]:
    """A lookup table from a CSV file (columns ``key`` and ``value``) or a JSON file (an
    object, or a list of objects with fields ``key`` and ``value``)."""
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            return {str(k): v for k, v in data.items()}
        if isinstance(data, list) and key and value:
            return {str(row[key]): row[value] for row in data}
        raise ValueError("a JSON object, or a list of objects with `key` and `value` named")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        key, value = (
            key or (columns[0] if columns else ""),
            value or (columns[1] if len(columns) > 1 else ""),
        )
        if key not in columns or value not in columns:
            raise ValueError(f"columns {key!r} and {value!r} (it has {columns})")
        return {row[key]: row[value] for row in reader}
