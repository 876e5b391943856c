"""Mapping templates and body paths: typed values, format specs, omitted keys, arithmetic
without eval, braces that stay text; paths with selections, wildcards and parents."""

from __future__ import annotations

from typing import Any

import pytest

from loadtests.adapters.paths import NOTHING, parse_path
from loadtests.adapters.template import (
    OMIT,
    Missing,
    TemplateError,
    compile_template,
    compile_value,
)

VALUES: dict[str, Any] = {
    "qty": 3, "amount": 39.8, "sku": "TEE", "cart": 7, "current": 10, "reserve_at": None,
    "legs": [{"location": "S01", "lines": [{"sku": "TEE", "qty": 2}]},
             {"location": "WH1", "lines": [{"sku": "CAP", "qty": 1}]}],
    "variant": {"TEE": 101, "CAP": 102}, "line": {"TEE": "/lines/9"},
}  # fmt: skip


def render(value: Any, values: dict[str, Any] | None = None) -> Any:
    return compile_value(value).render(VALUES if values is None else values)


def test_a_whole_placeholder_keeps_the_value_s_type() -> None:
    assert render("${qty}") == 3
    assert render("${amount}") == 39.8
    assert render("${legs}") == VALUES["legs"]
    assert render({"n": "${qty}", "text": "n=${qty}"}) == {"n": 3, "text": "n=3"}


def test_format_specs_render_text() -> None:
    assert render("${amount:.2f}") == "39.80"
    assert render({"total": "${amount * qty:.2f}"}) == {"total": "119.40"}
    assert render("cart-${cart:05d}") == "cart-00007"


def test_an_optional_placeholder_leaves_its_key_out_and_never_renders_none() -> None:
    assert render({"at": "${reserve_at?}", "ttl": "${ttl?}", "qty": "${qty}"}) == {"qty": 3}
    assert render(["${reserve_at?}", "${qty}"]) == [3]
    assert compile_template("${reserve_at?}").render(VALUES) is OMIT


def test_a_missing_value_without_question_mark_is_an_error_naming_it() -> None:
    with pytest.raises(Missing) as missing:
        render({"at": "${reserve_at}"})
    assert (missing.value.name, missing.value.shown) == ("reserve_at", "reserve_at")
    with pytest.raises(Missing) as looked_up:
        render("${variant[sku]}", {"variant": {}, "sku": "HAT"})
    assert looked_up.value.name == "variant"
    assert looked_up.value.key == "HAT"


def test_arithmetic_on_captured_values_and_lookups() -> None:
    assert render({"stockOnHand": "${current + qty}"}) == {"stockOnHand": 13}
    assert render("${-qty}") == -3
    assert render("${(current - qty) * 2 // 3}") == 4
    assert render("${variant[sku]}") == 101
    assert render("${line[sku]}") == "/lines/9"
    assert render("${line[${sku}]}") == "/lines/9"  # the same, as the issue writes it
    assert render("${legs[0].location}") == "S01"
    assert render("${legs[-1].lines[0].sku}") == "CAP"


@pytest.mark.parametrize(
    "text",
    [
        "${__import__('os').system('true')}",
        "${sku.upper()}",
        "${[1, 2]}",
        "${qty if 1 else 2}",
        "${lambda: 1}",
        "${qty > 1}",
        "${True}",
    ],
)
def test_anything_but_the_whitelist_is_refused_at_compile_time(text: str) -> None:
    with pytest.raises(TemplateError, match=r"not allowed|not an expression"):
        compile_template(text)


def test_json_and_graphql_braces_stay_text_and_a_dollar_brace_can_be_escaped() -> None:
    query = "mutation($id: ID!) { cartLinesAdd(cartId: $id) { userErrors { code } } }"
    assert render(query) == query
    assert render('{"sku": "${sku}"}') == '{"sku": "TEE"}'
    assert render("$${sku} is ${sku}") == "${sku} is TEE"


def test_question_mark_only_on_a_whole_value_and_unclosed_placeholders_are_refused() -> None:
    with pytest.raises(TemplateError, match="whole value"):
        compile_template("/x/${reserve_at?}")
    with pytest.raises(TemplateError, match="never closed"):
        compile_template("/x/${sku")
    with pytest.raises(TemplateError, match="format spec"):
        compile_template("${amount:.2q}")


def test_values_in_a_path_are_percent_encoded_but_a_leading_url_is_kept() -> None:
    template = compile_template("${base}lines/${sku}")
    got = template.render_path({"base": "http://shop/b/1/", "sku": "A/B C"})
    assert got == "http://shop/b/1/lines/A%2FB%20C"


def test_each_renders_a_table_per_item_and_flattens_with_a_wildcard() -> None:
    per_leg = {"$each": "leg in legs", "at": "${leg.location}"}
    assert render({"legs": per_leg}) == {"legs": [{"at": "S01"}, {"at": "WH1"}]}
    lines = {"$each": "line in legs[*].lines[*]", "v": "${variant[line.sku]}", "n": "${line.qty}"}
    assert render({"lines": lines}) == {"lines": [{"v": 101, "n": 2}, {"v": 102, "n": 1}]}
    assert compile_value({"lines": lines}).names == {"legs", "variant"}


BODY = {
    "data": {"cart": {"id": "c-1", "lines": [{"sku": "TEE", "url": "/l/1"},
                                             {"sku": "CAP", "url": "/l/2"}]}},
    "hydra:member": [{"@id": "/p/1"}],
    "products": [
        {"id": 1, "variants": [{"sku": "TEE", "stock": [{"at": "S01", "n": 4},
                                                        {"at": "WH1", "n": 9}]}]},
        {"id": 2, "variants": [{"sku": "CAP", "stock": [{"at": "S01", "n": 0}]}]},
    ],
}  # fmt: skip


def test_paths_select_list_items_by_field_index_and_quoted_key() -> None:
    assert parse_path("data.cart.id").get(BODY) == "c-1"
    assert parse_path("data.cart.lines[sku=${sku}].url").get(BODY, {"sku": "CAP"}) == "/l/2"
    assert parse_path("data.cart.lines.0.url").get(BODY) == "/l/1"
    assert parse_path("data.cart.lines[-1].sku").get(BODY) == "CAP"
    assert parse_path('["hydra:member"][0]["@id"]').get(BODY) == "/p/1"
    assert parse_path("data.cart.lines[sku=HAT].url").get(BODY) is NOTHING
    assert parse_path("data.nothing.here").get(BODY) is NOTHING


def test_rows_with_wildcards_carry_the_items_each_wildcard_selected() -> None:
    rows = list(parse_path("products[*].variants[*].stock[*]").rows(BODY, {}))
    assert [r for r, _ in rows] == [
        {"at": "S01", "n": 4},
        {"at": "WH1", "n": 9},
        {"at": "S01", "n": 0},
    ]
    _, chosen = rows[2]
    assert chosen[-2]["sku"] == "CAP"  # ^ : the variant
    assert chosen[-3]["id"] == 2  # ^^ : the product
    assert parse_path("^^.id").up == 2


def test_a_bad_path_is_refused_naming_it() -> None:
    with pytest.raises(TemplateError, match="never closed"):
        parse_path("lines[sku=A")
    with pytest.raises(TemplateError, match="field=value"):
        parse_path("lines[what]")
