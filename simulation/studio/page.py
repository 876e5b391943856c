"""The studio's one page: five tabs, Build, Run, Compare, Sweep and Inside, over one session."""

from __future__ import annotations

from collections.abc import Callable
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
    made: list[Path] = field(default_factory=list)
    listeners: list[Callable[[], None]] = field(default_factory=list)

    def use(self, draft: Draft) -> None:
        """The draft changed (a field, or another base): tell the other tabs."""
        self.draft = draft
        for listener in self.listeners:
            listener()


def root() -> None:
    """Build the page for one browser tab (each tab has its own session)."""
    from simulation.studio import tables
    from simulation.studio.build import BuildTab
    from simulation.studio.compare import CompareTab
    from simulation.studio.inside import InsideTab
    from simulation.studio.run import RunTab
    from simulation.studio.sweep import SweepTab

    session = Session()
    ui.page_title("omnicanal studio")
    ui.add_css(tables.STYLE)
    with ui.header().classes("items-center"):
        ui.label("omnicanal studio").classes("text-h6")
        ui.label("what-if scenarios, run and compared on the same customers").classes(
            "text-caption"
        )
    with ui.tabs() as tabs:
        build = ui.tab("Build").props("data-testid=tab-build")
        run = ui.tab("Run").props("data-testid=tab-run")
        compare = ui.tab("Compare").props("data-testid=tab-compare")
        sweep = ui.tab("Sweep").props("data-testid=tab-sweep")
        inside = ui.tab("Inside").props("data-testid=tab-inside")
    with ui.tab_panels(tabs, value=build).classes("w-full"):
        with ui.tab_panel(build):
            builder = BuildTab(session.draft, on_change=session.use)
        with ui.tab_panel(run):
            runner = RunTab(lambda: session.draft, session.results, on_done=lambda _: None)
        with ui.tab_panel(compare):
            comparer = CompareTab(lambda: session.draft, session.results)
        with ui.tab_panel(sweep):
            sweeper = SweepTab(lambda: session.draft, session.results)
        with ui.tab_panel(inside):
            looker = InsideTab(session.results)
    builder.on_save = comparer.offer
    session.listeners += [runner.refresh, sweeper.refresh]

    def finished(folder: Path) -> None:
        session.made.append(folder)
        comparer.refresh()
        looker.refresh()

    runner.on_done = finished
