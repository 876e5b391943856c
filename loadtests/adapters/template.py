"""Templates of a mapping file: strings with ``${...}`` placeholders, compiled once at load.

Only ``${`` opens a placeholder, so the braces of JSON and GraphQL are plain text (``$${``
is a literal ``${``). A placeholder holds an expression, an optional ``?`` (a missing value
leaves its key out) and an optional format spec (``${amount:.2f}``). Expressions are parsed
with :mod:`ast` and only a whitelist of nodes is accepted: names, ``a.b`` and ``a[b]`` on
JSON-like values, numbers and strings, ``+ - * / // %`` and unary minus. They are turned into
closures here, never into code that :func:`eval` runs.

A string that is exactly one placeholder with no format spec renders as the value itself
(a number stays a number, a list a list); any other string renders as text. A value that is
missing or None raises :class:`Missing`, which says which name was missing.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

Values = Mapping[str, Any]
Eval = Callable[[Values], Any]


class TemplateError(ValueError):
    """A template that cannot be parsed; the message says what and where in the string."""


class Missing(LookupError):
    """A placeholder's value is missing (or None): ``name`` is the root name it read,
    ``shown`` the part of the expression that had no value."""

    def __init__(self, name: str, shown: str, key: Any = None) -> None:
        super().__init__(shown)
        self.name, self.shown, self.key = name, shown, key


OMIT: Any = type("Omit", (), {"__repr__": lambda self: "OMIT"})()
"""What an optional placeholder with no value renders as: its key is left out."""

_OPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Placeholder:
    """One ``${...}``: its expression, whether it is optional, its format spec."""

    source: str
    evaluate: Eval
    optional: bool = False
    spec: str | None = None
    names: frozenset[str] = frozenset()
    env: frozenset[str] = frozenset()

    def value(self, values: Values) -> Any:
        found = self.evaluate(values)
        return format(found, self.spec) if self.spec is not None else found


@dataclass(frozen=True, slots=True)
class Template:
    """A compiled string: literal text and placeholders, in order."""

    source: str
    parts: tuple[str | Placeholder, ...]
    names: frozenset[str] = field(default=frozenset())
    env: frozenset[str] = field(default=frozenset())

    @property
    def whole(self) -> Placeholder | None:
        """The placeholder when the string is exactly one (it then keeps its value's type)."""
        if len(self.parts) == 1 and isinstance(self.parts[0], Placeholder):
            return self.parts[0]
        return None

    @property
    def constant(self) -> bool:
        return not any(isinstance(p, Placeholder) for p in self.parts)

    def render(self, values: Values) -> Any:
        """The value (whole placeholder) or the text; OMIT for an optional one with none."""
        whole = self.whole
        if whole is not None:
            try:
                return whole.value(values)
            except Missing:
                if whole.optional:
                    return OMIT
                raise
        return "".join(p if isinstance(p, str) else str(p.value(values)) for p in self.parts)

    def render_path(self, values: Values) -> str:
        """As text, each value percent-encoded but one at the very start (a URL or a path)."""
        out = []
        for i, part in enumerate(self.parts):
            if isinstance(part, str):
                out.append(part)
            else:
                text = str(part.value(values))
                out.append(text if i == 0 else quote(text, safe=""))
        return "".join(out)


def compile_template(text: str) -> Template:
    """Compile ``text``; raises :class:`TemplateError` naming what is wrong."""
    parts: list[str | Placeholder] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$${", i):
            literal.append("${")
            i += 3
        elif text.startswith("${", i):
            end = _closing(text, i + 2)
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(_placeholder(text[i + 2 : end]))
            i = end + 1
        else:
            literal.append(text[i])
            i += 1
    if literal:
        parts.append("".join(literal))
    placeholders = [p for p in parts if isinstance(p, Placeholder)]
    if len(parts) > 1 and any(p.optional for p in placeholders):
        raise TemplateError(f"{text!r}: '?' only where the placeholder is the whole value")
    names = frozenset().union(*(p.names for p in placeholders)) if placeholders else frozenset()
    env = frozenset().union(*(p.env for p in placeholders)) if placeholders else frozenset()
    return Template(text, tuple(parts), names, env)


def _closing(text: str, start: int) -> int:
    """Where the placeholder opened before ``start`` closes (brackets and quotes nest)."""
    depth, quote_char = 0, ""
    for j in range(start, len(text)):
        c = text[j]
        if quote_char:
            if c == quote_char:
                quote_char = ""
        elif c in "'\"":
            quote_char = c
        elif c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "}" and depth <= 0:
            return j
    raise TemplateError(f"{text!r}: '${{' at {start - 2} is never closed by '}}'")


_NESTED = re.compile(r"\$\{([^{}]*)\}")
"""A placeholder written inside another's expression (``${line[${sku}]}``): the same as
the bare expression (``${line[sku]}``)."""


def _placeholder(inner: str) -> Placeholder:
    expression, spec = _split_spec(_NESTED.sub(r"(\1)", inner))
    optional = expression.rstrip().endswith("?")
    if optional:
        expression = expression.rstrip()[:-1]
    if not expression.strip():
        raise TemplateError(f"'${{{inner}}}': an empty placeholder")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise TemplateError(f"'${{{inner}}}': not an expression") from None
    names: set[str] = set()
    env: set[str] = set()
    evaluate = _compile(tree.body, inner, names, env)
    if spec is not None:
        try:
            format(1.5 if "d" not in spec else 1, spec)
        except ValueError:
            raise TemplateError(f"'${{{inner}}}': {spec!r} is not a format spec") from None
    return Placeholder(inner, evaluate, optional, spec, frozenset(names), frozenset(env))


def _split_spec(inner: str) -> tuple[str, str | None]:
    depth, quote_char = 0, ""
    for j, c in enumerate(inner):
        if quote_char:
            quote_char = "" if c == quote_char else quote_char
        elif c in "'\"":
            quote_char = c
        elif c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == ":" and depth == 0:
            return inner[:j], inner[j + 1 :]
    return inner, None


def _compile(node: ast.expr, source: str, names: set[str], env: set[str]) -> Eval:
    """A closure that evaluates ``node``; anything off the whitelist is a TemplateError."""
    match node:
        case ast.Constant(value=value) if isinstance(value, int | float | str) and not isinstance(
            value, bool
        ):
            return lambda _values: value
        case ast.Name(id=name):
            names.add(name)
            return _name(name)
        case ast.Attribute(value=ast.Name(id="env"), attr=var):
            env.add(var)
            names.add("env")
            return _item(_name("env"), lambda _v: var, f"env.{var}", "env")
        case ast.Attribute(value=inner, attr=attr):
            return _item(_compile(inner, source, names, env), lambda _v: attr,
                         ast.unparse(node), _root(node))  # fmt: skip
        case ast.Subscript(value=inner, slice=key):
            return _item(_compile(inner, source, names, env), _compile(key, source, names, env),
                         ast.unparse(node), _root(node))  # fmt: skip
        case ast.BinOp(left=left, op=op, right=right) if type(op) in _OPS:
            fn, a, b = (
                _OPS[type(op)],
                _compile(left, source, names, env),
                _compile(right, source, names, env),
            )
            return lambda values: _arithmetic(fn, a(values), b(values), source)
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            inner_eval = _compile(operand, source, names, env)
            return lambda values: -_number(inner_eval(values), source)
        case _:
            raise TemplateError(
                f"'${{{source}}}': {ast.unparse(node)!r} is not allowed (names, a.b, a[b], "
                "numbers, strings and + - * / // % only)"
            )


def _root(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else "?"


def _name(name: str) -> Eval:
    def get(values: Values) -> Any:
        found = values.get(name)
        if found is None:
            raise Missing(name, name)
        return found

    return get


def _item(base: Eval, key: Eval, shown: str, root: str) -> Eval:
    def get(values: Values) -> Any:
        container, k = base(values), key(values)
        found: Any = None
        if isinstance(container, Mapping):
            found = container.get(k)
            if found is None and not isinstance(k, str):
                found = container.get(str(k))
        elif (
            isinstance(container, list | tuple)
            and isinstance(k, int)
            and -len(container) <= k < len(container)
        ):
            found = container[k]
        if found is None:
            raise Missing(root, f"{shown} (with {k!r})" if "[" in shown else shown, k)
        return found

    return get


def _number(value: Any, source: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Missing("?", f"{source}: {value!r} is not a number")
    return value


def _arithmetic(fn: Callable[[Any, Any], Any], a: Any, b: Any, source: str) -> Any:
    if isinstance(a, str) and isinstance(b, str) and fn is operator.add:
        return a + b
    try:
        return fn(_number(a, source), _number(b, source))
    except ZeroDivisionError:
        raise Missing("?", f"{source}: division by zero") from None


Render = Callable[[Values], Any]


@dataclass(frozen=True, slots=True)
class Compiled:
    """A compiled TOML value (table, array, string or scalar) and every name it reads."""

    render: Render
    names: frozenset[str]
    env: frozenset[str]


def compile_value(value: Any) -> Compiled:
    """Compile a TOML value whose strings are templates. Tables drop keys whose value is
    OMIT, arrays drop such items; ``{"$each" = "x in xs", ...}`` renders the rest of the
    table once per item of ``xs`` with ``x`` bound to it (a list)."""
    match value:
        case str():
            template = compile_template(value)
            if template.constant:
                text = "".join(p for p in template.parts if isinstance(p, str))
                return Compiled(lambda _v: text, frozenset(), frozenset())
            return Compiled(template.render, template.names, template.env)
        case dict() if "$each" in value:
            return _each(value)
        case dict():
            items = {k: compile_value(v) for k, v in value.items()}
            return Compiled(_table(tuple((k, c.render) for k, c in items.items())),
                            *_union(items.values()))  # fmt: skip
        case list():
            parts = [compile_value(v) for v in value]
            renders = tuple(c.render for c in parts)
            return Compiled(lambda values: [x for r in renders if (x := r(values)) is not OMIT],
                            *_union(parts))  # fmt: skip
        case _:
            return Compiled(lambda _v: value, frozenset(), frozenset())


def _union(parts: Any) -> tuple[frozenset[str], frozenset[str]]:
    names: frozenset[str] = frozenset()
    env: frozenset[str] = frozenset()
    for part in parts:
        names, env = names | part.names, env | part.env
    return names, env


def _table(items: tuple[tuple[str, Render], ...]) -> Render:
    def render(values: Values) -> dict[str, Any]:
        out = {}
        for key, part in items:
            got = part(values)
            if got is not OMIT:
                out[key] = got
        return out

    return render


def _each(value: dict[str, Any]) -> Compiled:
    spec = value["$each"]
    name, sep, source = str(spec).partition(" in ")
    name, source = name.strip(), source.strip()
    if not sep or not name.isidentifier() or not source:
        raise TemplateError(
            f"$each = {spec!r}: expected 'item in name' ('line in legs', or a path with [*] "
            "such as 'line in legs[*].lines[*]')"
        )
    body = compile_value({k: v for k, v in value.items() if k != "$each"})
    items_of: Callable[[Values], Any]
    if "[*]" in source:
        from loadtests.adapters.paths import parse_path

        path = parse_path(source)

        def flattened(values: Values) -> Any:
            return [row for row, _ in path.rows(values, values)]

        items_of = flattened
        names = frozenset({str(path.segments[0])}) | path.names
    else:
        over = compile_value("${" + source + "}")
        items_of, names = over.render, over.names

    def render(values: Values) -> list[Any]:
        items = items_of(values)
        if not isinstance(items, list | tuple):
            raise Missing("?", f"$each {source}: {items!r} is not a list")
        return [body.render({**values, name: item}) for item in items]

    return Compiled(render, names | (body.names - {name}), body.env)
