"""Production password hashing keeps argon2id's recommended cost (the suite runs a cheap one)."""

from __future__ import annotations

import subprocess
import sys


def test_production_hashes_are_argon2id_at_64_mib_and_3_passes() -> None:
    """Run in a fresh interpreter: the suite's conftest lowers the cost in this one."""
    code = (
        "from popliteal.accounts import service\n"
        "h = service.hash_password('a long enough password')\n"
        "print(h.split('$')[1], h.split('$')[3])\n"
        "assert service.verify_password('a long enough password', h)\n"
        "assert not service.verify_password('wrong', h)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["argon2id", "m=65536,t=3,p=4"]
