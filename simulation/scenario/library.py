"""The scenarios shipped with omnicanal: found by name, and copied out to edit.

They are the package data of ``simulation.scenario.shipped`` (the repository's top-level
``scenarios/`` folder, mapped onto that package by pyproject.toml), read with
:mod:`importlib.resources`, so an installed wheel finds them wherever it runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from simulation.errors import InputError, OmnicanalError

PACKAGE = "simulation.scenario.shipped"


def shipped_folder() -> Path:
    """The folder holding the shipped scenario files (``validation/`` inside it)."""
    root = resources.files(PACKAGE)
    if not isinstance(root, Path):  # e.g. a zipped install: ``extends`` needs real files
        raise OmnicanalError(f"the shipped scenarios are not files on disk: {root}")
    return root


def shipped_names() -> list[str]:
    """The names ``omnicanal run NAME`` accepts: the shipped scenario files' stems."""
    return sorted(p.stem for p in shipped_folder().glob("*.toml"))


def scenario_file(spec: str | Path) -> Path:
    """The file a scenario argument names: a path as given, or a shipped scenario's name.

    A path that exists wins; a bare name (no folder, no suffix) that is not a file names a
    shipped scenario. Raises :class:`InputError` for a bare name that is neither, listing the
    shipped names; a missing path is left for the reader to report.
    """
    path = Path(spec)
    if path.exists() or path.suffix or len(path.parts) != 1:
        return path
    shipped = shipped_folder() / f"{path.name}.toml"
    if shipped.is_file():
        return shipped
    names = ", ".join(shipped_names())
    raise InputError(
        "scenario", f"a scenario file or the name of a shipped scenario ({names})", str(spec)
    )


def shipped_files() -> dict[str, Traversable]:
    """Every shipped scenario file by its path relative to the folder (``validation/mmc.toml``)."""
    root = resources.files(PACKAGE)
    found = {entry.name: entry for entry in root.iterdir() if entry.name.endswith(".toml")}
    validation = root / "validation"
    found |= {
        f"validation/{entry.name}": entry
        for entry in validation.iterdir()
        if entry.name.endswith(".toml")
    }
    return dict(sorted(found.items()))


def copy_out(files: Mapping[str, Traversable], folder: Path, *, force: bool = False) -> list[Path]:
    """Write each file to ``folder / its relative path``; return the paths written.

    Refuses, before writing anything, to replace an existing file unless ``force``; each file
    is written to a temporary name and renamed into place, so none is ever half-written.
    """
    if folder.exists() and not folder.is_dir():
        raise InputError("DIR", "a folder (or a path to create one)", str(folder))
    targets = {folder / relative: source for relative, source in files.items()}
    existing = [str(target) for target in targets if target.exists()]
    if existing and not force:
        more = f" and {len(existing) - 1} other files" if len(existing) > 1 else ""
        raise InputError(
            "DIR", "a folder without these files (or --force to replace them)", existing[0] + more
        )
    for target, source in targets.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            partial.write_bytes(source.read_bytes())
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return list(targets)
