"""Results folders: ``results/<scenario>-<timestamp>/`` with a manifest, written atomically.

A run writes its files into a hidden temporary folder beside the final one; the manifest
(scenario, seed, versions, git revision, schema version, file checksums) is written last, and
the folder is renamed into place only then. A failed run leaves nothing under a final name.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from simulation.domain.events import SCHEMA_VERSION

MANIFEST = "manifest.json"
EVENTS = "events.parquet"
COMMANDS = "commands.parquet"
KPIS = "kpis.csv"
COHORTS = "cohorts.csv"
REPORT = "report.html"
_PACKAGES = ("omnicanal", "simpy", "numpy", "pandas", "pyarrow", "pydantic")


def git_revision(start: Path | None = None) -> str | None:
    """The commit of the checkout omnicanal runs from (with ``+dirty`` if it has changes).

    None when it runs from anywhere else: outside git, or installed from the wheel, even into a
    virtualenv inside another repository (whose commit says nothing of omnicanal's code).
    ``start`` is the package's folder, ``simulation/`` at the top of the checkout.
    """
    here = (start or Path(__file__).parent).resolve()
    try:
        top = _git(here, "rev-parse", "--show-toplevel")
        if Path(top).resolve() / "simulation" != here:
            return None
        rev = _git(here, "rev-parse", "HEAD")
        dirty = _git(here, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{rev}+dirty" if dirty else rev


def _git(folder: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def versions() -> dict[str, str | None]:
    """Python's and the key packages' versions, for the manifest."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class RunFolder:
    """Context manager for one results folder: write files into :attr:`path`, then commit.

    >>> with RunFolder(Path("results"), "baseline") as run:   # doctest: +SKIP
    ...     log.write(run.path / EVENTS)
    ...     run.manifest["seed"] = 42
    >>> run.final                                            # doctest: +SKIP
    PosixPath('results/baseline-20261124T101500')
    """

    def __init__(self, root: Path, scenario: str, *, now: datetime | None = None) -> None:
        self.root = Path(root)
        self.scenario = scenario
        created = now or datetime.now(UTC)
        self.final = self._free_name(f"{scenario}-{created:%Y%m%dT%H%M%S}")
        self.path = self.root / f".{self.final.name}.{os.getpid()}.tmp"
        self.manifest: dict[str, Any] = {
            "scenario": scenario,
            "created": created.isoformat(timespec="seconds"),
            "git_revision": git_revision(),
            "versions": versions(),
            "schema_version": SCHEMA_VERSION,
        }

    def _free_name(self, stem: str) -> Path:
        candidate, n = self.root / stem, 1
        while candidate.exists():
            n += 1
            candidate = self.root / f"{stem}-{n}"
        return candidate

    def __enter__(self) -> Self:
        self.path.mkdir(parents=True)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            return
        try:
            self._write_manifest()
            os.replace(self.path, self.final)
        finally:
            shutil.rmtree(self.path, ignore_errors=True)

    def _write_manifest(self) -> None:
        files = sorted(p for p in self.path.rglob("*") if p.is_file())
        self.manifest["files"] = {
            str(p.relative_to(self.path)): {"bytes": p.stat().st_size, "sha256": sha256(p)}
            for p in files
        }
        text = json.dumps(self.manifest, indent=2, sort_keys=False, default=str)
        (self.path / MANIFEST).write_text(text + "\n", encoding="utf-8")


def read_manifest(run: Path) -> dict[str, Any]:
    """The manifest of a results folder."""
    data: dict[str, Any] = json.loads((Path(run) / MANIFEST).read_text(encoding="utf-8"))
    return data
