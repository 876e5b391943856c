"""Results folders: the manifest's git revision says which checkout ran, and only that."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from simulation.results import git_revision


def _git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=folder, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def _repository(tmp_path: Path, package: str) -> tuple[Path, str]:
    (tmp_path / package).mkdir(parents=True)
    (tmp_path / package / "results.py").write_text("")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "first")
    return tmp_path / package, _git(tmp_path, "rev-parse", "HEAD")


def test_the_checkouts_revision_is_recorded() -> None:
    assert re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", git_revision() or "")


def test_a_package_at_the_top_of_a_repository_gives_its_commit(tmp_path: Path) -> None:
    here, commit = _repository(tmp_path, "simulation")
    assert git_revision(here) == commit
    (here / "results.py").write_text("# changed\n")
    assert git_revision(here) == f"{commit}+dirty"


def test_an_install_inside_another_repository_gives_none(tmp_path: Path) -> None:
    """A wheel installed into a virtualenv inside the user's own project."""
    here, _ = _repository(tmp_path, ".venv/lib/python3.11/site-packages/simulation")
    assert git_revision(here) is None
    assert git_revision(tmp_path.parent) is None  # not a repository at all
