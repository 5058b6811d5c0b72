"""The joint ranges the drawings may use are data with sources (issue 18): each limit says
where it was read, or that it was recalled or is a drawing judgement, and the figures refuse
an angle past it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from popliteal.plans import figures, joint_ranges
from popliteal.plans.figures import Leg, Pose


def test_the_figures_use_the_ranges_of_the_data_file() -> None:
    assert joint_ranges.limits() == figures.RANGES
    assert joint_ranges.trunk_limits() == figures.TRUNK_RANGE
    data = joint_ranges.joint_ranges()
    every_leg_and_arm_angle = set(vars(Leg())) | {"shoulder", "elbow", "neck"}
    assert set(data.ranges) == every_leg_and_arm_angle


def test_every_limit_says_whether_it_was_read_and_where() -> None:
    data = joint_ranges.joint_ranges()
    for name, joint in data.ranges.items():
        for limit in (joint.least, joint.most):
            assert limit.source in data.sources, name
            if limit.figure == "read":
                assert limit.where, name
                assert limit.published is not None, name
            else:
                assert limit.note, name  # a recalled or judged limit says so, and why


@pytest.mark.parametrize(
    ("leg", "allowed"),
    [
        # normal_rom_sheet item 2: knee flexion 0 to 140 degrees
        (Leg(knee=140), True),
        (Leg(knee=140.5), False),
        (Leg(knee=-0.5), False),
        # merck_rom_table, Table 1: hip flexion 0-125
        (Leg(hip=125), True),
        (Leg(hip=125.5), False),
        # merck_rom_table, Table 1: ankle plantar flexion 0-50
        (Leg(ankle=-50), True),
        (Leg(ankle=-50.5), False),
    ],
)
def test_a_pose_past_a_published_limit_is_refused(leg: Leg, allowed: bool) -> None:
    pose = Pose(base="standing", near=leg, far=Leg())
    assert (figures.out_of_range(pose) == []) is allowed


def _write(tmp_path: Path, change: dict[str, object]) -> Path:
    data = yaml.safe_load(joint_ranges.RANGES_FILE.read_text(encoding="utf-8"))
    data["ranges"]["knee"]["most"].update(change)
    path = tmp_path / "joint_ranges.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "change",
    [
        {"where": ""},  # read, but not saying where
        {"value": 150},  # past the published normal without saying why
        {"source": "nobody_2099"},  # a source the file does not list
        {"figure": "guessed"},
    ],
)
def test_a_limit_without_its_provenance_is_refused(
    tmp_path: Path, change: dict[str, object]
) -> None:
    with pytest.raises(ValidationError):
        joint_ranges.joint_ranges(_write(tmp_path, change))
