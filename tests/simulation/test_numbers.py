"""Numbers as people read them: units, thousands separators, never scientific notation."""

from __future__ import annotations

import html
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from simulation.api import run
from simulation.demo import run_demo
from simulation.projections import kpis
from simulation.report.numbers import KPIS, describe, formatted, kpi_value, label, number

SCIENTIFIC = re.compile(r"\b\d+(?:\.\d+)?[eE][+-]?\d+\b")  # not inside a hex git revision
BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15))
def test_a_number_is_never_in_scientific_notation(value: float) -> None:
    shown = number(value)
    assert not SCIENTIFIC.search(shown), shown
    assert float(shown.replace(",", "")) == round(
        value, len(shown.split(".")[-1]) if "." in shown else 0
    )


def test_values_carry_their_unit() -> None:
    assert formatted(0.8627, "share") == "86.3%"
    assert formatted(428385.76, "money", "EUR") == "428,386 EUR"
    assert formatted(4.496, "money") == "4.50"
    assert formatted(1.8242, "days") == "1.82 days"
    assert formatted(5.53, "minutes") == "5.53 min"
    assert formatted(31266.0, "count") == "31,266"
    assert number(3.127e4) == "31,270"
    assert number(0.000012345) == "0.00001234"
    assert kpi_value("fill_rate", 0.5) == "50.0%"
    assert kpi_value("something_new", 2.5e6) == "2,500,000"
    assert describe("lead_time_days").endswith("lower is better")
    assert label("pickup_wait_minutes") == "Pickup desk wait"


def test_every_kpi_is_described() -> None:
    demo = run_demo()
    names = [c for c in kpis(demo.log.to_frame(), horizon=2880.0).columns if c != "replication"]
    assert set(names) <= set(KPIS), sorted(set(names) - set(KPIS))


def test_the_baseline_report_shows_no_scientific_notation(tmp_path: Path) -> None:
    done = run(BASELINE, out=tmp_path, overrides={"horizon_days": 2, "warmup_days": 0})
    assert done.folder is not None
    page = (done.folder / "report.html").read_text(encoding="utf-8")
    text = re.sub(r'src="data:image/png;base64,[^"]*"', "", page)
    assert not SCIENTIFIC.search(text), SCIENTIFIC.search(text)
    for name in done.kpis.columns.drop("replication"):
        row = re.search(rf"<tr><td>{re.escape(html.escape(label(name)))}</td>.*?</tr>", text)
        assert row is not None, name
        assert "not yet described" not in row.group(0), name
