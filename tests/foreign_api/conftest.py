"""The foreign shop on a loopback port, and a few calls every test of it makes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.foreign_api.app import ADMIN_USER, create_app
from tests.loadtests.loopback import serving

PASSWORD = "a-test-password"
TIMEOUT = 10.0


class Client:
    """httpx over loopback, with the admin's token and a session at hand."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(base_url=base, timeout=TIMEOUT)
        token = self.http.post(
            "/api/admin/login/", json={"username": ADMIN_USER, "password": PASSWORD}
        ).json()["token"]
        self.admin = {"Authorization": f"Token {token}"}

    def reset(self, rows: list[tuple[str, str, int]]) -> None:
        records = [{"location_code": loc, "sku": sku, "num_in_stock": q} for loc, sku, q in rows]
        answer = self.http.post("/api/admin/reset/", json={"records": records}, headers=self.admin)
        assert answer.status_code == 200, answer.text

    def session(self) -> dict[str, str]:
        return {"X-Session": self.http.post("/api/sessions/").headers["X-Session"]}

    def every(self, path: str, headers: dict[str, str]) -> list[Any]:
        """Every row of a paged list, following ``next``."""
        rows: list[Any] = []
        url: str | None = path
        while url is not None:
            body = self.http.get(url, headers=headers).json()
            rows += body["results"]
            url = body["next"]
        return rows

    def url_of(self, sku: str) -> str:
        (found,) = [p["url"] for p in self.every("/api/products/", {}) if p["sku"] == sku]
        return str(found)

    def location(self, code: str) -> str:
        (found,) = [x["url"] for x in self.every("/api/locations/", {}) if x["code"] == code]
        return str(found)

    def stock(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(location code, sku) -> (in stock, allocated)."""
        skus = {p["url"]: p["sku"] for p in self.every("/api/products/", {})}
        codes = {x["url"]: x["code"] for x in self.every("/api/locations/", {})}
        return {
            (codes[r["location"]], skus[r["product"]]): (r["num_in_stock"], r["num_allocated"])
            for r in self.every("/api/admin/stockrecords/", self.admin)
        }

    def order(self, session: dict[str, str], lines: dict[str, int]) -> httpx.Response:
        """A basket of ``lines`` (sku -> quantity) checked out in three requests."""
        basket = self.http.post("/api/baskets/", headers=session).json()["url"]
        for sku, qty in lines.items():
            added = self.http.post(
                f"{basket}lines/", json={"product": self.url_of(sku), "quantity": qty},
                headers=session,
            )  # fmt: skip
            assert added.status_code == 201, added.text
        address = {"line1": "1 Dam", "city": "Amsterdam", "postcode": "1012", "country": "NL"}
        assert self.http.put(f"{basket}shipping-address/", json=address, headers=session).is_success
        method = {"method": "card"}
        assert self.http.put(f"{basket}payment-method/", json=method, headers=session).is_success
        return self.http.post("/api/checkout/", json={"basket": basket}, headers=session)


@pytest.fixture
def shop() -> Iterator[Client]:
    with serving(create_app(admin_password=PASSWORD)) as base:
        yield Client(base)


@pytest.fixture
def buggy_shop() -> Iterator[Client]:
    with serving(create_app(admin_password=PASSWORD, oversell="SKU-A")) as base:
        yield Client(base)
