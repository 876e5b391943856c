"""The scenario file reference is generated from the models and committed: it cannot drift."""

from __future__ import annotations

from pathlib import Path

from simulation.scenario import catalogue, loyalty, model, satisfaction
from simulation.scenario.fields import Model
from simulation.scenario.reference import render

DOCS = Path(__file__).resolve().parents[2] / "docs" / "scenario-reference.md"


def test_the_committed_reference_is_what_the_models_generate() -> None:
    assert DOCS.read_text() == render(), (
        "docs/scenario-reference.md is stale: run "
        "`python -m simulation.scenario.reference > docs/scenario-reference.md`"
    )


def test_every_field_of_every_table_is_there_with_a_description() -> None:
    page = render()
    tables = {
        c
        for module in (model, catalogue, satisfaction, loyalty)
        for c in vars(module).values()
        if isinstance(c, type) and issubclass(c, Model) and c is not Model
    }
    names = {t.__name__ for t in tables}
    assert {"Scenario", "Location", "Sku", "Generate", "Catalogue", "Satisfaction"} <= names
    for table in tables:
        for name, field in table.model_fields.items():
            assert f"| `{name}` |" in page, f"{table.__name__}.{name}"
            assert field.description, f"{table.__name__}.{name} has no docstring"
