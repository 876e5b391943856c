"""The Build tab: a scenario's form (generated from its models), its map, and saving it."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nicegui import ui
from nicegui.element import Element
from nicegui.elements.mixins.validation_element import ValidationElement

from simulation.errors import InputError, OmnicanalError
from simulation.scenario.library import shipped_names
from simulation.studio import charts
from simulation.studio.draft import Draft, dotted, message
from simulation.studio.fields import Field, Group, form


class BuildTab:
    """The form of one draft; ``on_change`` is told when the draft changes."""

    def __init__(
        self,
        draft: Draft,
        on_change: Callable[[Draft], None],
        on_save: Callable[[Path], None] = lambda _: None,
    ) -> None:
        self.draft = draft
        self.on_change = on_change
        self.on_save = on_save
        self.inputs: dict[str, Element] = {}
        self.closed: dict[str, tuple[ui.expansion, Group]] = {}
        self.in_error: list[Element] = []
        with ui.row().classes("items-end w-full"):
            self.base = ui.select(
                shipped_names(), value=draft.base if draft.base in shipped_names() else None,
                label="Start from a shipped scenario", on_change=lambda e: self.load(e.value),
            ).classes("w-64").props("data-testid=base")  # fmt: skip
            self.path = ui.input("…or a scenario file (TOML)").classes("w-96")
            self.path.props("data-testid=base-file")
            ui.button("Open", on_click=lambda: self.load(self.path.value)).props("data-testid=open")
        self.banner = ui.label("").classes("text-negative").props("data-testid=error")
        self.changes = ui.label("").classes("text-caption").props("data-testid=changes")
        with ui.row().classes("w-full no-wrap items-start"):
            self.form_box = ui.column().classes("w-3/5")
            with ui.column().classes("w-2/5"):
                self.map = ui.html("", sanitize=False).props("data-testid=map")
                self._save_box()
        self.render()

    def load(self, base: str | None) -> None:
        if not base:
            return
        try:
            draft = Draft(str(base))
            draft.base_scenario()
        except OmnicanalError as e:
            self.banner.set_text(str(e))
            return
        self.draft = draft
        self.render()
        self.on_change(draft)

    def render(self) -> None:
        self.inputs.clear()
        self.closed.clear()
        self.in_error.clear()
        self.form_box.clear()
        self.banner.set_text("")
        scenario = self.draft.scenario()
        with self.form_box:
            self._group(form(scenario))
        self.map.set_content(charts.network_map(scenario))
        self._count()

    def _count(self) -> None:
        changed = list(self.draft.changes)
        self.changes.set_text(
            f"{len(changed)} change(s) from {self.draft.base}: {', '.join(changed)}"
            if changed else f"no change from {self.draft.base} yet"
        )  # fmt: skip

    def _group(self, group: Group) -> None:
        for made in group.fields:
            self._input(made)
        for note in group.notes:
            ui.label(note).classes("text-caption text-grey-7")
        for inner in group.groups:
            expansion = ui.expansion(inner.title, caption=inner.doc).classes("w-full")
            expansion.props(f"dense data-testid=group-{inner.path}")
            self.closed[inner.path] = (expansion, inner)
            expansion.on_value_change(lambda e, path=inner.path: self._opened(path, e.value))

    def _opened(self, path: str, is_open: bool) -> None:
        if is_open:
            self._open(path)

    def _open(self, path: str) -> None:
        """Build a group's inputs the first time it is opened: a page of hundreds of inputs
        would be slow to load."""
        if path not in self.closed:
            return
        expansion, inner = self.closed.pop(path)
        with expansion:
            self._group(inner)
        expansion.value = True

    def _reveal(self, path: str) -> None:
        """Open every group on the way to ``path``, so that its input exists."""
        path = path.replace("*", "0")  # a rule over every item: open the first item
        while on_the_way := [p for p in self.closed if path == p or path.startswith(p + ".")]:
            self._open(min(on_the_way, key=len))  # which adds the groups inside it

    def _input(self, made: Field) -> None:
        label = f"{made.label} ({made.unit})" if made.unit else made.label
        hint = made.doc
        extra = [f"default {_shown(made.default)}" if made.default is not None else "required"]
        extra += [made.bounds] if made.bounds else []
        hint = f"{made.doc} [{'; '.join(extra)}]"

        def changed(value: Any, made: Field = made) -> None:
            self.change(made, value)

        element: Element
        match made.kind:
            case "boolean":
                element = ui.switch(label, value=made.value, on_change=lambda e: changed(e.value))
            case "choice":
                element = ui.select(list(made.choices), value=made.value, label=label,
                                    on_change=lambda e: changed(e.value))  # fmt: skip
            case "number" | "integer":
                element = ui.number(label, value=made.value,
                                    on_change=lambda e: changed(e.value))  # fmt: skip
                element.props("debounce=400")
            case "numbers" | "texts":
                shown = ", ".join(str(v) for v in made.value)
                element = ui.input(label, value=shown, on_change=lambda e: changed(e.value))
                element.props("debounce=400")
            case _:
                element = ui.input(label, value=made.value or "",
                                   on_change=lambda e: changed(e.value))  # fmt: skip
                element.props("debounce=400")
        element.classes("w-full")
        if isinstance(element, ValidationElement):
            element.without_auto_validation()  # the scenario's models say what is wrong
        element.props["data-path"] = made.path
        if made.kind != "boolean":
            element.props["hint"] = hint
            element.props["bottom-slots"] = True
        else:
            element.tooltip(hint)
        self.inputs[made.path] = element

    def change(self, made: Field, raw: Any) -> None:
        try:
            value = _parse(made, raw)
        except InputError as e:
            self.show(e)
            return
        self.show(self.draft.set(made.path, value))
        self._count()
        if made.path.startswith("network.") or made.path == "name":
            with contextlib.suppress(InputError):  # the error is shown; the map waits for a fix
                self.map.set_content(charts.network_map(self.draft.scenario()))
        self.on_change(self.draft)

    def show(self, error: InputError | None) -> None:
        """The error at its field (and above the form), or no error anywhere."""
        for element in self.in_error:
            _mark(element, None)
        self.in_error.clear()
        if error is None:
            self.banner.set_text("")
            return
        text = message(error)
        self.banner.set_text(text)
        self._reveal(dotted(error.field))
        found = self._at(dotted(error.field))
        if found is not None:
            _mark(found, text)
            self.in_error.append(found)

    def _at(self, path: str) -> Element | None:
        if "*" in path:  # a rule over every item (segments[*].share): the first item's field
            pattern = re.compile(re.escape(path).replace(r"\*", r"\d+"))
            return next((e for p, e in self.inputs.items() if pattern.fullmatch(p)), None)
        if path in self.inputs:
            return self.inputs[path]
        below = [p for p in self.inputs if p.startswith(path + ".")]
        if below:
            return self.inputs[below[0]]
        above = [p for p in self.inputs if path.startswith(p + ".")]
        return self.inputs[max(above, key=len)] if above else None

    def _save_box(self) -> None:
        with ui.card().classes("w-full"):
            ui.label("Save as a scenario file").classes("text-subtitle1")
            ui.label(
                "A small TOML file that extends the scenario you started from and holds only "
                "what you changed; omnicanal run reads it as it is."
            ).classes("text-caption")
            self.target = ui.input("File", value="my-scenario.toml").classes("w-full")
            self.target.props("data-testid=save-path")
            self.description = ui.input("Description (one line)").classes("w-full")
            ui.button("Save", on_click=self.save).props("data-testid=save")
            self.saved = ui.code("", language="toml").classes("w-full")
            self.saved.set_visibility(False)

    def save(self) -> None:
        try:
            written = self.draft.save(Path(self.target.value), description=self.description.value)
        except InputError as e:
            self.show(e)
            ui.notify(message(e), type="negative")
            return
        except OmnicanalError as e:
            ui.notify(str(e), type="negative")
            return
        self.saved.set_content(written.read_text(encoding="utf-8"))
        self.saved.set_visibility(True)
        self.on_save(written)
        ui.notify(f"wrote {written}; run it with: omnicanal run {written}", type="positive")


def _shown(value: Any) -> str:
    """A default as a scenario file writes it: text in quotes, lists with commas."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return ", ".join(map(str, value)) if len(value) <= 8 else f"{len(value)} values"
    return str(value)


def _mark(element: Element, text: str | None) -> None:
    """Show ``text`` as the field's error (None: no error)."""
    if isinstance(element, ValidationElement):
        element.error = text
    else:
        element.props["error"] = text is not None
        element.props["error-message"] = text


def _parse(made: Field, raw: Any) -> Any:
    """A form value as the scenario file would hold it (the models check the rest)."""
    if made.kind == "integer" and isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if made.kind == "numbers":
        try:
            return [_number(part) for part in str(raw).split(",") if part.strip()]
        except ValueError:
            raise InputError(made.path, "numbers separated by commas", raw) from None
    if made.kind == "texts":
        return [part.strip() for part in str(raw).split(",") if part.strip()]
    if made.optional and raw in ("", None):
        return None
    return raw


def _number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value
