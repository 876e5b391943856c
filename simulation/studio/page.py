"""The studio's one page: four tabs, Build, Run, Compare and Inside, over one session."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nicegui import ui

from simulation.studio.draft import Draft


@dataclass
class Settings:
    """What the command line told the studio: where results go."""

    results: Path = Path("results")


SETTINGS = Settings()


def configure(*, results: Path) -> None:
    SETTINGS.results = results


@dataclass
class Session:
    """One browser tab's state: the draft being edited and the results it made."""

    draft: Draft = field(default_factory=lambda: Draft("baseline"))
    results: Path = field(default_factory=lambda: SETTINGS.results)


def root() -> None:
    """Build the page for one browser tab (each tab has its own session)."""
    from simulation.studio.build import BuildTab

    session = Session()
    ui.page_title("omnicanal studio")
    with ui.header().classes("items-center"):
        ui.label("omnicanal studio").classes("text-h6")
        ui.label("what-if scenarios, run and compared on the same customers").classes(
            "text-caption"
        )
    with ui.tabs() as tabs:
        build = ui.tab("Build").props("data-testid=tab-build")
        run = ui.tab("Run").props("data-testid=tab-run")
        compare = ui.tab("Compare").props("data-testid=tab-compare")
        inside = ui.tab("Inside").props("data-testid=tab-inside")
    with ui.tab_panels(tabs, value=build).classes("w-full"):
        with ui.tab_panel(build):
            BuildTab(session.draft, on_change=lambda d: setattr(session, "draft", d))
        for tab in (run, compare, inside):
            with ui.tab_panel(tab):
                ui.label("coming")
