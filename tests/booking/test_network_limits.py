"""Bookings with new accounts are limited per network too (a /24), not only per address:
stepping through the addresses of one block does not get past the limit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from popliteal.booking.service import (
    NEW_ACCOUNT_BOOKINGS_PER_HOUR,
    NEW_ACCOUNT_BOOKINGS_PER_NETWORK_HOUR,
)
from tests.booking import factories as f
from tests.booking.test_api import account


def test_one_network_can_not_book_past_its_limit_by_changing_address(app: Any) -> None:
    with TestClient(app) as look:
        today = datetime.now(f.TZ).date()
        slots = look.get(
            "/api/slots",
            params={
                "type": "free_screening",
                "mode": "virtual",
                "from": today.isoformat(),
                "to": (today + timedelta(days=13)).isoformat(),
            },
        ).json()["slots"]
    # every other start: slots come every 15 minutes and a free screening lasts 20
    starts = iter(list(dict.fromkeys(s["start"] for s in slots))[::2])

    def book(address: str, n: int) -> int:
        with TestClient(app, client=(address, 40000)) as visitor:
            return int(
                visitor.post(
                    "/api/appointments",
                    json={
                        "type": "free_screening",
                        "mode": "virtual",
                        "start": next(starts),
                        "clinician_id": None,
                        **account(f"net{n}-{address}@example.com"),
                    },
                ).status_code
            )

    per_address = NEW_ACCOUNT_BOOKINGS_PER_HOUR
    booked = 0
    for host in range(1, 10):  # under each address's own limit, one /24 in all
        for n in range(per_address - 1):
            if booked < NEW_ACCOUNT_BOOKINGS_PER_NETWORK_HOUR:
                assert book(f"203.0.113.{host}", n) == 202
                booked += 1
    assert book("203.0.113.200", 0) == 429  # a fresh address of the same block
    assert book("203.0.114.1", 0) == 202  # the next block books as usual
