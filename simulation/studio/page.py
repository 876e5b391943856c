"""The studio's one page: four tabs, Build, Run, Compare and Inside, over one session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nicegui import ui


@dataclass
class Settings:
    """What the command line told the studio: where results go."""

    results: Path = Path("results")


SETTINGS = Settings()


def configure(*, results: Path) -> None:
    SETTINGS.results = results


def root() -> None:
    """Build the page for one browser tab (each tab has its own session)."""
    ui.page_title("omnicanal studio")
    with ui.header().classes("items-center"):
        ui.label("omnicanal studio").classes("text-h6")
        ui.label("what-if scenarios, run and compared on the same customers").classes(
            "text-caption"
        )
    with ui.tabs() as tabs:
        build = ui.tab("Build")
        run = ui.tab("Run")
        compare = ui.tab("Compare")
        inside = ui.tab("Inside")
    with ui.tab_panels(tabs, value=build).classes("w-full"):
        for tab in (build, run, compare, inside):
            with ui.tab_panel(tab):
                ui.label(f"{tab.props['name']}: coming")
