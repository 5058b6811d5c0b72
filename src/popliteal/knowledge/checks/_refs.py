"""What every file's checks share: `Cite`, the check that a number's source is in
sources.yaml, and one problem line per unknown id."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from popliteal.knowledge.schema import Cited

# Appends a problem when `item` names a source that sources.yaml does not hold.
Cite = Callable[[str, Cited], None]


def unknown(where: str, kind: str, ids: list[str], known: Mapping[str, object]) -> list[str]:
    """One problem line per id that is not among the known ones."""
    return [f"{where}: unknown {kind} '{x}'" for x in ids if x not in known]
