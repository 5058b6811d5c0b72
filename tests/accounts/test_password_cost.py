"""Production password hashing keeps argon2id at OWASP's setting (the suite runs a cheap one)."""

from __future__ import annotations

import subprocess
import sys

# A hash made with the earlier setting (pwdlib's default, m=64 MiB, t=3, p=4).
OLD_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$4F8m0UaFLjluT1jcwyDPKA$"
    "oh+SjG8RQEhYgmBn0fT2Zj+GXk/QHjMDQWBHK2W2ia8"
)


def test_production_hashes_are_argon2id_at_19_mib_and_2_passes_and_old_hashes_verify() -> None:
    """Run in a fresh interpreter: the suite's conftest lowers the cost in this one."""
    code = (
        "from popliteal.accounts import service\n"
        "h = service.hash_password('a long enough password')\n"
        "print(h.split('$')[1], h.split('$')[3])\n"
        "assert service.verify_password('a long enough password', h)\n"
        "assert not service.verify_password('wrong', h)\n"
        f"assert service.verify_password('correct horse battery', {OLD_HASH!r})\n"
        f"assert not service.verify_password('wrong', {OLD_HASH!r})\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["argon2id", "m=19456,t=2,p=1"]
