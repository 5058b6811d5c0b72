"""Login limits hold under concurrent requests, on both databases (a review finding)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest

from popliteal.demo import CHIRO


def _login(url: str, password: str) -> int:
    request = urllib.request.Request(
        f"{url}/api/auth/login",
        data=json.dumps({"email": CHIRO.email, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@pytest.mark.postgres
def test_thirty_parallel_wrong_passwords_are_checked_at_most_five_times(live_server: Any) -> None:
    start = threading.Barrier(30)
    codes: list[int] = []
    lock = threading.Lock()

    def attempt() -> None:
        start.wait()
        code = _login(live_server.url, "wrong-password-x")
        with lock:
            codes.append(code)

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(codes)) == [401, 429]
    assert codes.count(401) == 5  # the account limit, not "as many as arrived at once"
    # The right password is refused too while the account is locked.
    assert _login(live_server.url, CHIRO.password) == 429
