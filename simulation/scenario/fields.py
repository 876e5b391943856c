"""The base of every scenario model (strict, finite, frozen) and the field types they share."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict

from simulation.types import Channel

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Kind = Literal["warehouse", "store", "dark_store"]
ChannelName = Annotated[Channel, Strict(False)]
"""A channel as a file writes it ("web"); strict mode would take only the enum itself."""


class Model(BaseModel):
    """Strict: 3.0 is not an integer, 1 is not true, true is not a number; numbers are finite."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        strict=True,
        allow_inf_nan=False,
    )
