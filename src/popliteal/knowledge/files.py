"""Read the knowledge files (YAML beside this module, in data/) and validate each against its
schema, naming file, entry and field for every problem; hash them into `knowledge_version`."""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from popliteal.knowledge.schema import (
    AdviceFile,
    CodesFile,
    ConditionsFile,
    DraftingFile,
    ExercisesFile,
    FindingsFile,
    FollowupFile,
    LikelihoodsFile,
    OutcomesFile,
    ProtocolsFile,
    RedFlagsFile,
    RunningFile,
    SeedsFile,
    SourcesFile,
    TreatmentsFile,
)

DATA_DIR = Path(__file__).parent / "data"
# libyaml's safe loader when PyYAML was built with it: the same documents, several times faster.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FILES = (
    "sources.yaml",
    "conditions.yaml",
    "findings.yaml",
    "likelihoods.yaml",
    "red_flags.yaml",
    "advice.yaml",
    "treatments.yaml",
    "seeds.yaml",
    "exercises.yaml",
    "protocols.yaml",
    "drafting.yaml",
    "running.yaml",
    "outcomes.yaml",
    "followup.yaml",
    "codes.yaml",
)
ILLUSTRATIONS = "illustrations"

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class KnowledgeFiles:
    """Every file, parsed and valid on its own (not yet cross-checked)."""

    sources: SourcesFile
    conditions: ConditionsFile
    findings: FindingsFile
    likelihoods: LikelihoodsFile
    red_flags: RedFlagsFile
    advice: AdviceFile
    treatments: TreatmentsFile
    seeds: SeedsFile
    exercises: ExercisesFile
    protocols: ProtocolsFile
    drafting: DraftingFile
    running: RunningFile
    outcomes: OutcomesFile
    followup: FollowupFile
    codes: CodesFile


def read_files(directory: Path, problems: list[str]) -> KnowledgeFiles | None:
    """Read and parse every file; None when any is missing or invalid (`problems` says why)."""
    raw = {name: _read(directory, name, problems) for name in FILES}
    parsed = {
        "sources.yaml": _parse("sources.yaml", SourcesFile, raw["sources.yaml"], problems),
        "conditions.yaml": _parse(
            "conditions.yaml", ConditionsFile, raw["conditions.yaml"], problems
        ),
        "findings.yaml": _parse("findings.yaml", FindingsFile, raw["findings.yaml"], problems),
        "likelihoods.yaml": _parse(
            "likelihoods.yaml", LikelihoodsFile, raw["likelihoods.yaml"], problems
        ),
        "red_flags.yaml": _parse("red_flags.yaml", RedFlagsFile, raw["red_flags.yaml"], problems),
        "advice.yaml": _parse("advice.yaml", AdviceFile, raw["advice.yaml"], problems),
        "treatments.yaml": _parse(
            "treatments.yaml", TreatmentsFile, raw["treatments.yaml"], problems
        ),
        "seeds.yaml": _parse("seeds.yaml", SeedsFile, raw["seeds.yaml"], problems),
        "exercises.yaml": _parse("exercises.yaml", ExercisesFile, raw["exercises.yaml"], problems),
        "protocols.yaml": _parse("protocols.yaml", ProtocolsFile, raw["protocols.yaml"], problems),
        "drafting.yaml": _parse("drafting.yaml", DraftingFile, raw["drafting.yaml"], problems),
        "running.yaml": _parse("running.yaml", RunningFile, raw["running.yaml"], problems),
        "outcomes.yaml": _parse("outcomes.yaml", OutcomesFile, raw["outcomes.yaml"], problems),
        "followup.yaml": _parse("followup.yaml", FollowupFile, raw["followup.yaml"], problems),
        "codes.yaml": _parse("codes.yaml", CodesFile, raw["codes.yaml"], problems),
    }
    if problems:
        return None
    return KnowledgeFiles(
        sources=parsed["sources.yaml"],  # type: ignore[arg-type]
        conditions=parsed["conditions.yaml"],  # type: ignore[arg-type]
        findings=parsed["findings.yaml"],  # type: ignore[arg-type]
        likelihoods=parsed["likelihoods.yaml"],  # type: ignore[arg-type]
        red_flags=parsed["red_flags.yaml"],  # type: ignore[arg-type]
        advice=parsed["advice.yaml"],  # type: ignore[arg-type]
        treatments=parsed["treatments.yaml"],  # type: ignore[arg-type]
        seeds=parsed["seeds.yaml"],  # type: ignore[arg-type]
        exercises=parsed["exercises.yaml"],  # type: ignore[arg-type]
        protocols=parsed["protocols.yaml"],  # type: ignore[arg-type]
        drafting=parsed["drafting.yaml"],  # type: ignore[arg-type]
        running=parsed["running.yaml"],  # type: ignore[arg-type]
        outcomes=parsed["outcomes.yaml"],  # type: ignore[arg-type]
        followup=parsed["followup.yaml"],  # type: ignore[arg-type]
        codes=parsed["codes.yaml"],  # type: ignore[arg-type]
    )


def _parse(name: str, model: type[M], raw: Any, problems: list[str]) -> M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            where = describe_loc(tuple(err["loc"]), raw)
            problems.append(f"{name}: {where}: {err['msg']}")
        return None


@lru_cache(maxsize=2 * len(FILES))
def _parse_yaml(text: str) -> Any:
    """Parse once per distinct text: a reviewed copy that differs in one file (the loader's
    own tests make dozens) re-parses only that file; the rest is a deep copy, ten times
    cheaper than libyaml on protocols.yaml."""
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506


def _read(directory: Path, name: str, problems: list[str]) -> Any:
    path = directory / name
    try:
        return copy.deepcopy(_parse_yaml(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        problems.append(f"{name}: file is missing")
    except yaml.YAMLError as exc:
        problems.append(f"{name}: not valid YAML: {exc}")
    return None


def content_hash(directory: Path = DATA_DIR) -> str:
    """Hash every data file's name and bytes: the `knowledge_version` stored with results."""
    digest = hashlib.sha256()
    for name in FILES:
        path = directory / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:16]


def index_by_id(name: str, items: list[Any], problems: list[str]) -> dict[str, Any]:
    """The entries keyed by id; a problem for each id defined twice (the last one wins)."""
    out: dict[str, Any] = {}
    for item in items:
        if item.id in out:
            problems.append(f"{name}: id '{item.id}' is defined twice")
        out[item.id] = item
    return out


def describe_loc(loc: tuple[Any, ...], data: Any) -> str:
    """Turn a Pydantic error location into 'entry 3 (pcl_injury), field prior.base'."""
    parts: list[str] = []
    node = data
    i = 0
    while i < len(loc):
        key = loc[i]
        if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
            entry = node[key]
            label = entry.get("id") if isinstance(entry, dict) else None
            if label is None and isinstance(entry, dict) and "finding" in entry:
                label = f"{entry.get('finding')}->{entry.get('condition', '')}".rstrip("->")
            parts.append(f"entry {key + 1}" + (f" ({label})" if label else ""))
            node = entry
            fields = []
            i += 1
            while i < len(loc) and not isinstance(loc[i], int):
                fields.append(str(loc[i]))
                i += 1
            if fields:
                parts.append("field " + ".".join(fields))
                node = _descend(node, fields)
            continue
        parts.append(str(key))
        node = _descend(node, [str(key)])
        i += 1
    return ", ".join(parts)


def _descend(node: Any, keys: list[str]) -> Any:
    for key in keys:
        if isinstance(node, dict):
            node = node.get(key, node.get(key.rstrip("_")))
        else:
            return None
    return node
