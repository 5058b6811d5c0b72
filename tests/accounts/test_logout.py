"""Logging out forgets this browser's anonymous screenings (issue 13, item 7)."""

from __future__ import annotations

from typing import Any

import pytest

from popliteal.demo import DEMO_ANSWERS, PATIENT
from popliteal.screening.service import VISITOR_COOKIE
from tests.conftest import csrf_from, login


def deletes_visitor_cookie(response: Any) -> bool:
    return any(
        header.startswith(f"{VISITOR_COOKIE}=") and "max-age=0" in header.lower()
        for header in response.headers.get_list("set-cookie")
    )


@pytest.mark.parametrize("how", ["page", "api"])
def test_logout_clears_the_visitor_cookie(client: Any, how: str) -> None:
    screened = client.post("/api/screenings", json={"answers": DEMO_ANSWERS})
    assert screened.status_code == 201
    assert VISITOR_COOKIE in client.cookies
    login(client, PATIENT.email, PATIENT.password)
    if how == "page":
        response = client.post("/logout", data={"csrf_token": csrf_from(client, "/book")})
        assert response.status_code == 303
    else:
        response = client.post("/api/auth/logout", json={})
        assert response.status_code == 204
    assert deletes_visitor_cookie(response)
    assert VISITOR_COOKIE not in client.cookies
    assert client.get(f"/api/screenings/{screened.json()['id']}").status_code == 404
