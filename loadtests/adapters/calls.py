"""A mapping's requests, compiled: templates and paths parsed, headers layered, captures ready.

A :class:`Call` renders one :class:`~loadtests.adapters.base.Request` from a step's values and
reads its answer's captures; a :class:`Capture` reads one journey variable. Both are built by
:mod:`loadtests.adapters.compiler` from the file's models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from loadtests.adapters.base import Answer, Request
from loadtests.adapters.classify import Classifier
from loadtests.adapters.paths import NOTHING, Path
from loadtests.adapters.template import OMIT, Compiled, Eval, Missing, Template

Headers = tuple[tuple[str, Compiled, tuple[str | int, ...]], ...]
"""Each header's name, template, and the key of the file that set it."""


class OffTarget(ValueError):
    """A path that is an absolute URL on another host than the target's."""


@dataclass(frozen=True, slots=True)
class Capture:
    """One journey variable read from an answer: ``var`` (and ``key`` for ``var[expr]``)."""

    var: str
    key: Eval | None
    path: Path | None
    header: str | None
    id: str | None
    optional: bool
    where: str
    """How the file says it, for messages: ``basket_url = "url"``."""

    def read(self, answer: Answer, values: Mapping[str, Any]) -> Any:
        """The value, or NOTHING."""
        if self.header is not None:
            found = _header(answer.headers, self.header)
            return NOTHING if found is None or found == "" else found
        return NOTHING if self.path is None else self.path.get(answer.body, values)

    def store(self, found: Any, values: dict[str, Any], into: dict[str, Any]) -> None:
        """Keep ``found`` in the journey's variables ``into`` and in this step's ``values``."""
        if self.key is None:
            into[self.var] = values[self.var] = found
            return
        table = into.get(self.var)
        if not isinstance(table, dict):
            table = into[self.var] = {}
        table[_key(self.key(values))] = found
        values[self.var] = table


def _key(value: Any) -> Any:
    return value if isinstance(value, str | int) else str(value)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    found = headers.get(name.lower())
    if found is None:
        found = headers.get(name)
    return found


@dataclass(frozen=True, slots=True)
class Call:
    """One request of a step (or of a login, a prepare, a read), compiled."""

    name: str
    method: str
    path: Template
    params: Compiled | None
    headers: Headers
    body: Compiled | None
    graphql: str | None
    variables: Compiled | None
    captures: tuple[Capture, ...]
    profile: str | None
    classify: Classifier
    each: str | None = None
    key: tuple[str | int, ...] = ()
    """Where the file says it (``steps.checkout.requests[1]``)."""

    def render(
        self,
        values: Mapping[str, Any],
        extra: Mapping[str, str] | None = None,
        *,
        target: str | None = None,
        path: str | None = None,
    ) -> Request:
        """The request; raises Missing for a value that is not there, OffTarget for a URL on
        another host. ``path`` replaces the path template (a next page's link)."""
        url = path if path is not None else self.path.render_path(values)
        check_url(url, target)
        if self.params is not None and path is None:  # a next page's link has its query
            query = dict(self.params.render(values))
            if query:
                url = f"{url}{'&' if '?' in url else '?'}{urlencode(query, doseq=True)}"
        body: Any = None
        if self.graphql is not None:
            body = {"query": self.graphql}
            if self.variables is not None:
                body["variables"] = self.variables.render(values)
        elif self.body is not None:
            body = self.body.render(values)
        return Request(self.name, self.method, url, body, self._headers(values, extra))

    def _headers(
        self, values: Mapping[str, Any], extra: Mapping[str, str] | None
    ) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, template, _ in self.headers:
            try:
                got = template.render(values)
            except Missing as missing:
                if missing.name == "token":  # no API token: no header that would carry it
                    continue
                raise
            if got is not OMIT:
                out[name] = got if isinstance(got, str) else str(got)
        if extra:
            out.update(extra)
        return out


def check_url(url: str, target: str | None) -> None:
    """A path, or an absolute URL on the target's scheme, host and port."""
    if url.startswith("/"):
        return
    if not url.startswith(("http://", "https://")):
        raise OffTarget(f"{url[:120]!r} is neither a path (/...) nor an http(s) URL")
    if target is None:
        return
    got, want = urlsplit(url), urlsplit(target)
    if (got.scheme, got.hostname, got.port) != (want.scheme, want.hostname, want.port):
        raise OffTarget(
            f"refused to follow {url[:120]}: not the target's host ({want.scheme}://{want.netloc})"
        )
