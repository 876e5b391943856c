"""Reads before and after the run: one request or many pages, classified, rows flattened.

A refused read stops the run (:class:`ReplayRefused`): an unreadable stock is never taken
for an empty one. Pages follow a ``next`` link, count page numbers until an empty page (or
the ``last``), or step ``skip`` by ``take`` until the ``total`` (or a short page).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urljoin

from loadtests.adapters.base import OK, PARTIAL, Answer, ReplayRefused, Request
from loadtests.adapters.calls import Call, OffTarget
from loadtests.adapters.compiled import FieldPlan, ReadPlan
from loadtests.adapters.paths import NOTHING
from loadtests.adapters.template import Missing

Row = tuple[Any, tuple[Any, ...]]
Exchange = Callable[[Call, Mapping[str, Any], str | None], Answer]
"""Render a call with values (and an explicit path: a next link), send it, give the answer."""


def fetch(call: Call, values: Mapping[str, Any], send: Callable[[Request], Answer],
          what: str, *, path: str | None = None, target: str | None = None,
          extra: Mapping[str, str] | None = None) -> tuple[Answer, Request]:  # fmt: skip
    """One request of a read and its answer, or :class:`ReplayRefused` naming ``what`` and
    why."""
    try:
        request = call.render(values, extra, target=target, path=path)
    except Missing as missing:
        raise ReplayRefused(f"{what}: no value for ${{{missing.shown}}}") from None
    except OffTarget as error:
        raise ReplayRefused(f"{what}: {error}") from None
    answer = send(request)
    classified = call.classify(answer, values)
    if classified.result not in (OK, PARTIAL):
        rule = f" ({classified.rule})" if classified.rule else ""
        raise ReplayRefused(
            f"{what}: {request.method} {request.path} was {classified.result}{rule}"
            f"{': ' + classified.detail if classified.detail else ''} (status {answer.status})"
        )
    return answer, request


def read_rows(
    plan: ReadPlan,
    values: Mapping[str, Any],
    send: Callable[[Request], Answer],
    what: str,
    **options: Any,
) -> list[Row]:
    """Every row of every page."""
    return list(_pages(plan, dict(values), send, what, **options))


def _pages(
    plan: ReadPlan, values: dict[str, Any], send: Callable[[Request], Answer], what: str,
    **options: Any,
) -> Iterator[Row]:  # fmt: skip
    pages = plan.pages
    if pages is None:
        body = fetch(plan.call, values, send, what, **options)[0].body
        yield from rows_of(plan, body, values)
        return
    link: str | None = None
    page, skip = pages.page, 0
    for count in range(pages.max_pages):
        if pages.page is not None:
            values["page"] = page
        if pages.take is not None:
            values["skip"], values["take"] = skip, pages.take
        answer, request = fetch(plan.call, values, send, f"{what} (page {count + 1})",
                                path=link, **options)  # fmt: skip
        body = answer.body
        rows = list(rows_of(plan, body, values))
        yield from rows
        if pages.next is not None:
            found = plan.next.get(body) if plan.next else NOTHING
            if found is NOTHING or not found:
                return
            link = urljoin(request.path, str(found))  # a link may be relative to the page
        elif pages.page is not None:
            last = plan.last.get(body) if plan.last else NOTHING
            if not rows or (last is not NOTHING and page >= int(last)):
                return
            page += 1
        else:
            total = plan.total.get(body) if plan.total else NOTHING
            skip += pages.take
            if len(rows) < pages.take or (total is not NOTHING and skip >= int(total)):
                return
    raise ReplayRefused(f"{what}: more than {pages.max_pages} pages (raise pages.max_pages)")


def rows_of(plan: ReadPlan, body: Any, values: Mapping[str, Any]) -> Iterator[Row]:
    """The rows of one answer: at the plan's rows path, or the body's items, or the body."""
    if plan.rows is not None:
        yield from plan.rows.rows(body, values)
    elif isinstance(body, list):
        yield from ((item, (item,)) for item in body if item is not None)
    elif body is not None:
        yield body, (body,)


def field_value(plan: FieldPlan, row: Row, reverse: Mapping[str, Mapping[str, Any]]) -> Any:
    """A row's field: read from the row or a parent, mapped back through a lookup, compared."""
    item, chosen = row
    source = item
    if plan.path.up:
        index = len(chosen) - 1 - plan.path.up
        source = chosen[index] if index >= 0 else NOTHING
    found = plan.path.get(source) if plan.path.segments else source
    if plan.equals is not None:
        return found is not NOTHING and (found == plan.equals or str(found) == str(plan.equals))
    if found is NOTHING:
        return None
    if plan.via is not None:
        return reverse.get(plan.via, {}).get(str(found), found)
    return found
