"""Parameter checks shared by the closed forms: errors name the quantity in words."""

from __future__ import annotations

import math

import numpy as np

from simulation.errors import InputError


def _check_positive(field: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise InputError(field, "a finite number > 0", value)


def _check_nonnegative(field: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise InputError(field, "a finite number >= 0", value)


def _check_integer(field: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise InputError(field, f"an integer >= {minimum}", value)
