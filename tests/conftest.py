"""Shared fixtures: the packaged knowledge base and a real `popliteal` process."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from popliteal.knowledge.loader import Knowledge, default_knowledge
from popliteal.screening.engine import screen, to_json

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def kb() -> Knowledge:
    return default_knowledge()


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `python -m popliteal ARGS` as a separate process, as a user would."""

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "popliteal", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=tmp_path,
        )

    return run


@pytest.fixture
def answers_file(tmp_path: Path) -> Callable[[Any], Path]:
    def write(payload: Any) -> Path:
        path = tmp_path / "answers.json"
        path.write_text(json.dumps(payload) if not isinstance(payload, str) else payload)
        return path

    return write


def result_json(kb: Knowledge, answers: dict[str, Any], role: str = "patient") -> dict[str, Any]:
    """The contract JSON for validated answers, computed in-process."""
    return to_json(kb, screen(kb, answers, role=role))
