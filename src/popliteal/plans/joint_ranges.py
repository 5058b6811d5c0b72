"""The joint ranges the exercise drawings may use, read from the knowledge base's
`joint_ranges.yaml`, where every limit names its source and whether its figure was read there,
recalled or a drawing judgement."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from popliteal.knowledge.files import DATA_DIR

RANGES_FILE = DATA_DIR / "joint_ranges.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    citation: str
    read_at: str


class Limit(_Strict):
    value: float
    published: float | None = None
    source: str
    figure: Literal["read", "recalled", "judgement"]
    where: str = ""
    note: str = ""

    @model_validator(mode="after")
    def _read_says_where(self) -> Limit:
        if self.figure == "read" and (not self.where or self.published is None):
            raise ValueError("a limit read in its source names the published value and where")
        if self.published is not None and self.value != self.published and not self.note:
            raise ValueError("a limit past its published normal says why in `note`")
        return self


class JointRange(_Strict):
    meaning: str
    least: Limit
    most: Limit


class JointRangesFile(_Strict):
    sources: dict[str, Source]
    ranges: dict[str, JointRange]
    trunk: dict[str, tuple[float, float]]

    @model_validator(mode="after")
    def _sources_known(self) -> JointRangesFile:
        for name, joint in self.ranges.items():
            for limit in (joint.least, joint.most):
                if limit.source not in self.sources:
                    raise ValueError(f"{name}: unknown source {limit.source!r}")
            if joint.least.value > joint.most.value:
                raise ValueError(f"{name}: least is above most")
        return self


@lru_cache(maxsize=2)
def joint_ranges(path: Path = RANGES_FILE) -> JointRangesFile:
    """The parsed, checked ranges file."""
    with path.open(encoding="utf-8") as f:
        return JointRangesFile.model_validate(yaml.safe_load(f))


def limits(path: Path = RANGES_FILE) -> dict[str, tuple[float, float]]:
    """(least, most) in degrees for every joint the figures pose."""
    return {k: (r.least.value, r.most.value) for k, r in joint_ranges(path).ranges.items()}


def trunk_limits(path: Path = RANGES_FILE) -> dict[str, tuple[float, float]]:
    """(least, most) trunk angle for each base posture."""
    return dict(joint_ranges(path).trunk)
