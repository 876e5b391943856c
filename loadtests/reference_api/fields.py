"""The JSON types of the API's fields, strict and bounded, as OpenAPI documents them.

Numbers are JSON numbers, never strings and never ``true``/``false``; counts and ids are
whole numbers (``1.0`` is refused); every number and string has an upper bound, so a
quantity of 10^20 or a megabyte-long sku is a 422 naming the field, not a stored value.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Path
from pydantic import Field, Strict, StrictBool, WithJsonSchema

MAX_ID = 2**53 - 1
"""The largest whole number every JSON client reads back exactly."""
MAX_UNITS = 10**9
MAX_MONEY = 1e12
MAX_MINUTES = 1e9
"""About 1,900 years: times and durations in simulated minutes."""
MAX_NAME = 64
MAX_TEXT = 200

Id = Annotated[int, Strict(), Field(ge=0, le=MAX_ID)]
Units = Annotated[int, Strict(), Field(gt=0, le=MAX_UNITS)]
Level = Annotated[int, Strict(), Field(ge=0, le=MAX_UNITS)]
Price = Annotated[float, Strict(), Field(gt=0, le=MAX_MONEY, allow_inf_nan=False)]
Money = Annotated[float, Strict(), Field(ge=0, le=MAX_MONEY, allow_inf_nan=False)]
Minutes = Annotated[float, Strict(), Field(ge=0, le=MAX_MINUTES, allow_inf_nan=False)]
Name = Annotated[str, Strict(), Field(min_length=1, max_length=MAX_NAME)]
"""A sku or location id."""
Text = Annotated[str, Strict(), Field(min_length=1, max_length=MAX_TEXT)]
"""A reason."""
Flag = StrictBool

IdPath = Annotated[int, Path(ge=0, le=MAX_ID, description="cart or order id")]
NamePath = Annotated[str, Path(min_length=1, max_length=MAX_NAME, description="sku or location id")]
PATH_TYPES = {"cart": IdPath, "order": IdPath, "sku": NamePath, "location": NamePath}
"""The type of each payload field a route may carry in its path."""

# Optional headers are documented as plain number / string: a header is absent, never null.
SimClock = Annotated[
    float | None,
    Header(
        alias="X-Sim-Time", ge=0, le=MAX_MINUTES, allow_inf_nan=False,
        description="The write's time in simulated minutes (default: the server's clock)",
    ),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": MAX_MINUTES}),
]  # fmt: skip
KeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key", min_length=1, max_length=255,
        description="A retry with the same key and request gets the first answer",
    ),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 255}),
]  # fmt: skip
