"""Edited copies of the knowledge base, for tests of what the loader refuses.

Each packaged file is parsed once per process with libyaml (pure-Python PyYAML takes ten
times as long on protocols.yaml); an edit works on a deep copy of that parse.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from popliteal.knowledge.loader import DATA_DIR, KnowledgeError, load

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@cache
def _pristine(name: str) -> Any:
    return yaml.load((DATA_DIR / name).read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506


def packaged(name: str) -> Any:
    """A fresh, editable parse of one packaged knowledge file."""
    return copy.deepcopy(_pristine(name))


def edited_copy(tmp_path: Path, name: str, edit: Callable[[Any], None]) -> Path:
    """A copy of the packaged knowledge folder with `name` changed by `edit`."""
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    data = packaged(name)
    edit(data)
    text = yaml.dump(data, Dumper=_DUMPER, sort_keys=False, allow_unicode=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def problems_of(folder: Path) -> list[str]:
    """Every problem the loader reports for this folder (it must refuse it)."""
    with pytest.raises(KnowledgeError) as info:
        load(folder)
    return info.value.problems
