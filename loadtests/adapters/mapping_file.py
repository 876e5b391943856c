"""The shape of a mapping file (version 2), as pydantic models: what each key may hold.

Only the shape is checked here; :mod:`loadtests.adapters.compiler` compiles the templates and
paths and checks what refers to what. ``docs/engineer.md`` has every key in a table.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
Status = Literal["mapped", "implicit", "unsupported"]
ResultName = Literal["ok", "partial", "refused", "not_found", "unauthorised", "error"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Capture(_Strict):
    path: str | None = None
    """A body path (``loadtests.adapters.paths``)."""
    header: str | None = None
    """Or a response header's name."""
    id: Literal["cart", "order"] | None = None
    """The value is the target's id of the step's cart or order."""
    optional: bool = False
    """Found nothing: leave the variable unset instead of diverging."""

    @model_validator(mode="after")
    def _one_source(self) -> Capture:
        if (self.path is None) == (self.header is None):
            raise ValueError("a capture reads either a body `path` or a `header`")
        return self


class When(_Strict):
    """A classification rule on the body: the first that matches decides."""

    status: list[int] | None = None
    path: str
    equals: Any = None
    result: ResultName
    code: str | None = None
    rule: str | None = None
    detail: str | None = None


class Classify(_Strict):
    ok: list[int] | None = None
    partial: list[int] | None = None
    not_found: list[int] | None = None
    unauthorised: list[int] | None = None
    refused: list[int] | None = None
    code: str | list[str] | None = None
    rule: str | None = None
    detail: str | None = None
    codes: dict[str, str] = Field(default_factory=dict)
    when: list[When] = Field(default_factory=list)


class _RequestKeys(_Strict):
    name: str | None = None
    method: Method | None = None
    path: str | None = None
    params: dict[str, Any] | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    body: dict[str, Any] | list[Any] | None = None
    query: str | None = None
    """A GraphQL document: the body is then ``{"query": ..., "variables": ...}``."""
    variables: dict[str, Any] | None = None
    capture: dict[str, str | Capture] = Field(default_factory=dict)
    auth: str | None = None
    classify: Classify | None = None

    @model_validator(mode="after")
    def _body_or_query(self) -> _RequestKeys:
        if self.body is not None and self.query is not None:
            raise ValueError("a request has a JSON `body` or a GraphQL `query`, not both")
        if self.variables is not None and self.query is None:
            raise ValueError("`variables` go with a GraphQL `query`")
        return self


class RequestSpec(_RequestKeys):
    path: str
    each: Literal["initial"] | None = None
    """In [prepare] only: send once per row of the initial stock."""


class StepSpec(_RequestKeys):
    """One step kind: its status, and its request (keys on the step) or its ``requests``."""

    status: Status = "mapped"
    reason: str = ""
    requests: list[RequestSpec] | None = None

    @model_validator(mode="after")
    def _requests(self) -> StepSpec:
        inline = self.path is not None
        if self.status != "mapped":
            if inline or self.requests:
                raise ValueError(f"a step that is {self.status} sends no request: no path")
        elif inline == bool(self.requests):
            raise ValueError("a mapped step has a `path`, or `requests` (one or more), not both")
        return self

    def calls(self) -> list[RequestSpec]:
        """Its requests, in order (the step's own keys make one)."""
        if self.requests:
            return list(self.requests)
        if self.path is None:
            return []
        keys = ("name", "method", "path", "params", "headers", "body", "query", "variables",
                "capture", "auth", "classify")  # fmt: skip
        return [RequestSpec(**{k: getattr(self, k) for k in keys if k in self.model_fields_set})]


class Login(RequestSpec):
    pass


class Profile(_Strict):
    scope: Literal["run", "journey"] = "run"
    login: Login | None = None
    headers: dict[str, str] = Field(default_factory=dict)


class Pages(_Strict):
    next: str | None = None
    """Body path of the next page's URL or path."""
    page: int | None = None
    """The first page's number (``${page}`` in the path)."""
    last: str | None = None
    """With ``page``: body path of the last page's number."""
    take: int | None = Field(default=None, ge=1)
    """Rows per page (``${skip}`` and ``${take}`` in the path)."""
    total: str | None = None
    """With ``take``: body path of the number of rows in all."""
    max_pages: int = Field(default=10_000, ge=1)

    @model_validator(mode="after")
    def _one_way(self) -> Pages:
        ways = [w for w in ("next", "page", "take") if getattr(self, w) is not None]
        if len(ways) != 1:
            raise ValueError("pages: exactly one of `next`, `page` or `take`")
        return self


class FieldSpec(_Strict):
    path: str
    via: str | None = None
    """A lookup whose values these are: the row's value maps back to the lookup's key."""
    equals: Any = None
    """The field is true when the value at path equals this."""


Field_ = str | FieldSpec


class Read(_Strict):
    """A read before or after the run: paginated, classified, its rows flattened."""

    method: Method = "GET"
    path: str
    params: dict[str, Any] | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    body: dict[str, Any] | list[Any] | None = None
    query: str | None = None
    variables: dict[str, Any] | None = None
    auth: str | None = None
    classify: Classify | None = None
    pages: Pages | None = None
    rows: str | None = None
    """Body path of the rows (``results[*]``); none: the body's items, or the body itself."""


class Lookup(_Strict):
    """A table from the simulation's ids to the target's: from a file, or read before the run
    (the keys of a :class:`Read` on the lookup itself)."""

    file: str | None = None
    key: str | None = None
    value: str | None = None
    path: str | None = None
    method: Method = "GET"
    params: dict[str, Any] | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    body: dict[str, Any] | list[Any] | None = None
    query: str | None = None
    variables: dict[str, Any] | None = None
    auth: str | None = None
    classify: Classify | None = None
    pages: Pages | None = None
    rows: str | None = None

    @model_validator(mode="after")
    def _source(self) -> Lookup:
        if (self.file is None) == (self.path is None):
            raise ValueError("a lookup comes from a `file` or is read at a `path`, one of the two")
        if self.path is not None and (self.key is None or self.value is None):
            raise ValueError("a lookup read from the target names its rows' `key` and `value`")
        return self

    def read(self) -> Read:
        keys = set(Read.model_fields) & self.model_fields_set
        return Read(**{k: getattr(self, k) for k in keys})


class Legs(_Strict):
    rows: str = "legs[*]"
    location: Field_ = "location"
    status: Field_ = "status"


class StockRead(Read):
    location: Field_ = "location"
    sku: Field_ = "sku"
    on_hand: Field_ = "on_hand"
    reserved: Field_ | None = None


class OrdersRead(Read):
    order: Field_ = "order"
    paid: Field_ | None = None
    refunded: Field_ | None = None
    cancelled: Field_ | None = None
    legs: Legs | None = None


class State(_Strict):
    stock: StockRead | None = None
    orders: OrdersRead | None = None


class StockCheck(Read):
    """Read one (location, sku) of the initial stock: sent once per row, ``${location}``
    and ``${sku}`` in the path (the target's ids through lookups)."""

    on_hand: Field_ = "on_hand"


class Prepare(_Strict):
    verify: bool = False
    """After the requests, read [state.stock] and check it is the scenario's initial stock."""
    requests: list[RequestSpec] = Field(default_factory=list)
    check: StockCheck | None = None
    """Check the target's stock one (location, sku) at a time (instead of [state.stock])."""


class MappingFile(_Strict):
    version: Literal[2]
    name: str = "mapping"
    auth: str | None = None
    unlisted: Status | None = None
    sim_time_header: str | None = None
    order_header: str | None = None
    cookies: bool = False
    headers: dict[str, str] = Field(default_factory=dict)
    classify: Classify = Field(default_factory=Classify)
    lookups: dict[str, Lookup] = Field(default_factory=dict)
    profiles: dict[str, Profile] = Field(default_factory=dict)
    prepare: Prepare | None = None
    state: State = Field(default_factory=State)
    steps: dict[str, StepSpec] = Field(default_factory=dict)
