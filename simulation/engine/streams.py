"""Named, seeded random streams: one root seed per run, one stream per (replication, name).

Every stream is ``SeedSequence(root, spawn_key=(replication, stable_id(name)))``, so adding a
stream never shifts another, and the same seed gives the same draws on every machine and in
every process (``stable_id`` hashes with BLAKE2, never Python's salted ``hash()``).
"""

from __future__ import annotations

import hashlib
from functools import cache

import numpy as np


@cache  # a handful of names, asked for on every repeat visit
def stable_id(name: str) -> int:
    """A 32-bit id for ``name`` that is the same in every process and on every machine."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "big")


class Streams:
    """The random streams of one replication of one run."""

    __slots__ = ("_cache", "replication", "root")

    def __init__(self, root: int, replication: int = 0) -> None:
        if root < 0:
            raise ValueError(f"seed must be >= 0, got {root}")
        self.root = root
        self.replication = replication
        self._cache: dict[str, np.random.Generator] = {}

    def seed_sequence(self, name: str, *key: int) -> np.random.SeedSequence:
        return np.random.SeedSequence(
            self.root, spawn_key=(self.replication, stable_id(name), *key)
        )

    def __call__(self, name: str) -> np.random.Generator:
        """The generator of stream ``name`` (the same object on every call)."""
        rng = self._cache.get(name)
        if rng is None:
            rng = self._cache[name] = np.random.Generator(np.random.PCG64(self.seed_sequence(name)))
        return rng
