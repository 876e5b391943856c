"""Numbers as people read them: one formatting for the report, the command line and notebooks.

Every KPI of :func:`simulation.projections.kpis` has an entry in :data:`KPIS`: a label, its unit,
a sentence saying what it measures, which way is better, and the group it belongs to. Values
are written with thousands separators, money with its currency, shares as percentages, times
with their unit; never in scientific notation. A KPI that is not listed is still formatted
(plainly) and said to be unexplained, so a new projection shows up rather than breaks a page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Unit = Literal["count", "money", "share", "days", "minutes", "number"]
Better = Literal["higher", "lower", "neither"]
Group = Literal["service", "cost", "stock", "customers", "marketing"]


@dataclass(frozen=True, slots=True)
class KpiInfo:
    """What a KPI is: its label, unit, meaning, which way is better, and its group."""

    label: str
    unit: Unit
    means: str
    better: Better
    group: Group


def _k(label: str, unit: Unit, means: str, better: Better, group: Group) -> KpiInfo:
    return KpiInfo(label, unit, means, better, group)


KPIS: dict[str, KpiInfo] = {
    "visits": _k("Visits", "count", "customer visits that started", "higher", "customers"),
    "customers": _k("Customers", "count", "distinct customers who came", "higher", "customers"),
    "orders": _k("Orders", "count", "orders placed", "higher", "service"),
    "units_ordered": _k("Units ordered", "count", "units in placed orders", "higher", "service"),
    "ordered_value": _k("Ordered value", "money", "value of placed orders", "higher", "service"),
    "units_lost": _k("Units lost", "count", "units wanted but not sold (no stock, gave up)",
                     "lower", "service"),
    "lost_value": _k("Lost sales", "money", "value of the units lost", "lower", "service"),
    "units_backordered": _k("Units backordered", "count", "units ordered to come later",
                            "lower", "service"),
    "backordered_value": _k("Backordered value", "money", "value of backordered units",
                            "lower", "service"),
    "fill_rate": _k("Fill rate", "share", "units served out of units wanted", "higher",
                    "service"),
    "reservations_expired": _k("Cart reservations expired", "count",
                               "reserved units released because a cart timed out", "lower",
                               "stock"),
    "holds_expired": _k("Click & collect holds expired", "count",
                        "orders held in store that nobody collected in time", "lower", "service"),
    "orders_cancelled": _k("Orders cancelled", "count", "orders cancelled before they left",
                           "lower", "service"),
    "units_shipped": _k("Units shipped", "count", "units that left a location for a customer",
                        "higher", "service"),
    "units_returned": _k("Units returned", "count", "units sent back", "lower", "cost"),
    "return_rate": _k("Return rate", "share", "units returned out of units shipped", "lower",
                      "cost"),
    "refunded": _k("Refunded", "money", "money given back (refunds issued)",
                   "lower", "cost"),
    "net_value": _k("Net value", "money", "value ordered (and backordered) less refunds",
                    "higher", "cost"),
    "avg_basket_units": _k("Units per order", "number", "mean units in an order", "higher",
                           "customers"),
    "avg_order_value": _k("Average order value", "money", "mean value of an order", "higher",
                          "customers"),
    "conversion_rate": _k("Conversion", "share", "visits that ended in an order", "higher",
                          "customers"),
    "split_rate": _k("Split orders", "share", "orders sourced from more than one location",
                     "lower", "cost"),
    "lead_time_days": _k("Lead time", "days", "mean time from order to the customer, per leg",
                         "lower", "service"),
    "pickup_wait_minutes": _k("Pickup desk wait", "minutes",
                              "mean time from joining the desk queue to pickup", "lower",
                              "service"),
    "hold_expiry_rate": _k("Hold expiry rate", "share",
                           "click & collect holds that expired out of holds placed", "lower",
                           "service"),
    "stockouts": _k("Stock-outs", "count", "times a location ran out of a sku", "lower",
                    "stock"),
    "repeat_visit_rate": _k("Returning customers", "share",
                            "customers who visited more than once", "higher", "customers"),
    "repeat_purchase_rate": _k("Repeat purchase rate", "share",
                               "buyers who ordered more than once", "higher", "customers"),
    "customer_value": _k("Value per customer", "money", "net value per customer in the horizon",
                         "higher", "customers"),
    "retention_week_1": _k("Week-1 retention", "share",
                           "customers of a first-visit week who visit again the week after",
                           "higher", "customers"),
    "multichannel_customers": _k("Multi-channel customers", "count",
                                 "customers who touched two or more shopping channels",
                                 "neither", "customers"),
    "multichannel_share": _k("Multi-channel share", "share",
                             "customers who touched two or more shopping channels",
                             "neither", "customers"),
    "multichannel_orders_per_customer": _k("Orders per multi-channel customer", "number",
                                           "orders placed per multi-channel customer",
                                           "higher", "customers"),
    "multichannel_customer_value": _k("Value per multi-channel customer", "money",
                                      "net value per multi-channel customer in the horizon",
                                      "higher", "customers"),
    "multichannel_retention": _k("Week-1 retention, multi-channel", "share",
                                 "week-1 retention of the multi-channel customers", "higher",
                                 "customers"),
    "single_channel_orders_per_customer": _k("Orders per single-channel customer", "number",
                                             "orders placed per single-channel customer",
                                             "higher", "customers"),
    "single_channel_customer_value": _k("Value per single-channel customer", "money",
                                        "net value per single-channel customer in the horizon",
                                        "higher", "customers"),
    "single_channel_retention": _k("Week-1 retention, single-channel", "share",
                                   "week-1 retention of the single-channel customers",
                                   "higher", "customers"),
    "inventory_turns": _k("Inventory turns", "number",
                          "units issued per unit of average stock on hand, per year", "higher",
                          "stock"),
    "revenue": _k("Revenue", "money", "value of the units that left a location, less refunds",
                  "higher", "cost"),
    "gross_margin": _k("Gross margin", "money", "revenue less the cost of the goods sold",
                       "higher", "cost"),
    "fulfilment_cost_per_order": _k("Fulfilment cost per order", "money",
                                    "shipping cost of the units sent to an address, per order",
                                    "lower",
                                    "cost"),
    "marketing_cost": _k("Marketing cost", "money",
                         "campaigns' fixed costs plus their cost per visit brought", "lower",
                         "marketing"),
    "new_customers": _k("New customers", "count", "customers who placed a first order",
                        "higher", "marketing"),
    "acquired_customers": _k("Customers acquired", "count",
                             "new customers a campaign brought", "higher", "marketing"),
    "cac": _k("CAC", "money", "marketing cost per customer a campaign acquired", "lower",
              "marketing"),
    "roas": _k("ROAS", "number", "order value of the acquired customers per unit of marketing cost",
               "higher", "marketing"),
    "cltv": _k("CLTV", "money",
               "a buyer's margin to date plus the discounted margin a BG/NBD fit expects next",
               "higher", "marketing"),
    "ltv_to_cac": _k("LTV / CAC", "number", "acquired buyers' mean CLTV over the CAC", "higher",
                     "marketing"),
    "acquired_value": _k("Value per acquired customer", "money",
                         "net value of an acquired customer within the horizon (against CAC)",
                         "higher", "marketing"),
    "nps": _k("NPS", "number",
              "net promoter score of the survey answers: % answering 9-10 less % answering 0-6 "
              "(-100 to 100)", "higher", "customers"),
    "csat": _k("CSAT", "number", "mean answer to 'how satisfied are you with this order' (1-5)",
               "higher", "customers"),
    "survey_responses": _k("Survey responses", "count", "orders whose customer answered the survey",
                           "neither", "customers"),
    "churn_rate": _k("Churn", "share", "customers who decided not to come back, out of customers",
                     "lower", "customers"),
    "retention_rate": _k("Retention", "share",
                         "next-visit decisions in the horizon that brought the customer back",
                         "higher", "customers"),
    "late_delivery_rate": _k("Late deliveries", "share",
                             "legs that reached the customer (or the desk) after the promised date",
                             "lower", "customers"),
    "members": _k("Loyalty members", "count", "customers who joined the loyalty programme",
                  "higher", "customers"),
    "member_share": _k("Member share", "share", "members out of customers", "higher",
                       "customers"),
    "points_earned": _k("Points earned", "count", "loyalty points earned on paid orders",
                        "neither", "customers"),
    "points_redeemed": _k("Points redeemed", "count", "loyalty points spent at checkout",
                          "neither", "customers"),
    "rewards_cost": _k("Rewards cost", "money", "discounts given for redeemed points", "lower",
                       "customers"),
    "member_retention_rate": _k("Retention, members", "share",
                                "members' next-visit decisions that brought them back", "higher",
                                "customers"),
    "other_retention_rate": _k("Retention, non-members", "share",
                               "non-members' next-visit decisions that brought them back",
                               "higher", "customers"),
    "member_value": _k("Value per member", "money", "net value per member in the horizon",
                       "higher", "customers"),
    "other_value": _k("Value per non-member", "money",
                      "net value per non-member in the horizon", "higher", "customers"),
}  # fmt: skip
"""What every KPI of ``kpis.csv`` is."""


def number(value: float, digits: int = 4) -> str:
    """``value`` in fixed notation with thousands separators and about ``digits`` significant
    digits; never scientific notation."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "-∞"
    magnitude = math.floor(math.log10(abs(value))) + 1 if value else 1
    decimals = max(0, digits - magnitude)
    return f"{value:,.{decimals}f}"


def formatted(value: float, unit: Unit, currency: str = "") -> str:
    """``value`` in its ``unit`` (money in ``currency``, shares as %)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    match unit:
        case "count":
            return f"{value:,.0f}"
        case "money":
            shown = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"
            return f"{shown} {currency}".rstrip()
        case "share":
            return f"{value * 100:.1f}%"
        case "days":
            return f"{number(value, 3)} days"
        case "minutes":
            return f"{number(value, 3)} min"
        case _:
            return number(value)


def kpi_value(name: str, value: float, currency: str = "") -> str:
    """A KPI's value as :data:`KPIS` says to show it (plainly, if the KPI is not listed)."""
    info = KPIS.get(name)
    return formatted(value, info.unit, currency) if info is not None else number(value)


def describe(name: str) -> str:
    """A KPI's meaning and which way is better, for a reader."""
    info = KPIS.get(name)
    if info is None:
        return "(not yet described)"
    better = {"higher": "higher is better", "lower": "lower is better", "neither": ""}
    return f"{info.means}; {better[info.better]}".rstrip("; ")


def label(name: str) -> str:
    info = KPIS.get(name)
    return info.label if info is not None else name.replace("_", " ")


def kpi_rows(values: Mapping[str, float], currency: str = "") -> list[tuple[str, str, str]]:
    """(label, formatted value, meaning) for each KPI of ``values``, in its order."""
    return [(label(k), kpi_value(k, v, currency), describe(k)) for k, v in values.items()]


def kpi_axis(ax: Any, name: str, axis: Literal["x", "y"] = "y") -> None:
    """Label a matplotlib axis with a KPI's name and unit, its ticks in the KPI's format."""
    from matplotlib.ticker import FuncFormatter

    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_formatter(FuncFormatter(lambda v, _: kpi_value(name, v)))
    (ax.set_xlabel if axis == "x" else ax.set_ylabel)(label(name))


def plain_axis(ax: Any, axis: Literal["x", "y"] = "y") -> None:
    """Ticks with thousands separators, never an offset or scientific notation."""
    from matplotlib.ticker import FuncFormatter

    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_formatter(FuncFormatter(lambda v, _: number(v)))
