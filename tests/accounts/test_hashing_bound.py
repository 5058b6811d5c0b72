"""Password hashing is bounded per process: argon2 takes 64 MiB while it runs, so many failed
logins at once must queue rather than multiply the memory."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from popliteal.accounts import service


class _HeldHasher:
    """Stands in for argon2 and holds each call until released, counting how many run."""

    def __init__(self) -> None:
        self.inside = 0
        self.most = 0
        self.lock = threading.Lock()
        self.release = threading.Event()

    def verify(self, password: str, password_hash: str) -> bool:
        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
        self.release.wait(timeout=30)
        with self.lock:
            self.inside -= 1
        return False


def test_at_most_four_passwords_are_hashed_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    held = _HeldHasher()
    monkeypatch.setattr(service, "_hasher", held)
    threads = [
        threading.Thread(target=service.verify_password, args=("guess", "hash")) for _ in range(20)
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30  # wait on the condition: the slots are full
    while held.inside < service.MAX_CONCURRENT_HASHES and time.monotonic() < deadline:
        time.sleep(0.01)
    assert held.inside == service.MAX_CONCURRENT_HASHES
    held.release.set()
    for t in threads:
        t.join(timeout=30)
    assert held.most == service.MAX_CONCURRENT_HASHES
    assert not any(t.is_alive() for t in threads)


def test_a_real_hash_still_verifies(monkeypatch: Any) -> None:
    digest = service.hash_password("a long enough passphrase")
    assert service.verify_password("a long enough passphrase", digest)
    assert not service.verify_password("wrong", digest)
