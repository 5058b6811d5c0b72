"""Exercise figures drawn from joint angles (issue 18): every exercise has a start and an end
position, every angle is one a body can take, and the drawing shows the angles it was given."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from popliteal.knowledge.loader import Knowledge
from popliteal.plans import figures, poses
from popliteal.plans.figures import FLOOR, HEAD_R, HEIGHT, RANGES, SHIN, THIGH, WIDTH, Leg, Pose

SVG = "{http://www.w3.org/2000/svg}"
SIDE_VIEWS = {"standing", "sitting", "floor_sitting", "kneeling", "lying_back", "lying_front"}


def _angle(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float]) -> float:
    """The turn from segment p->q to segment q->r, in degrees (0 = straight on)."""
    a = math.atan2(q[1] - p[1], q[0] - p[0])
    b = math.atan2(r[1] - q[1], r[0] - q[0])
    return abs((math.degrees(b - a) + 180) % 360 - 180)


def test_every_exercise_has_a_start_and_an_end_position(kb: Knowledge) -> None:
    assert set(poses.POSES) == set(kb.exercises)
    for exercise_id, (start, end) in poses.POSES.items():
        assert start != end, f"{exercise_id}: the end position is the start position"


@pytest.mark.parametrize("exercise_id", sorted(poses.POSES))
def test_every_position_is_one_a_body_can_take(exercise_id: str) -> None:
    for pose in poses.POSES[exercise_id]:
        assert figures.out_of_range(pose) == [], exercise_id


@pytest.mark.parametrize("exercise_id", sorted(poses.POSES))
def test_the_drawing_shows_the_knee_and_hip_angles_it_was_given(exercise_id: str) -> None:
    for pose in poses.POSES[exercise_id]:
        j = figures.placed(pose)
        for side, leg in zip(("near", "far"), pose.legs(), strict=True):
            if pose.base not in SIDE_VIEWS or leg.abduction or leg.open:
                continue
            knee = _angle(j[f"{side}_hip"], j[f"{side}_knee"], j[f"{side}_ankle"])
            assert knee == pytest.approx(abs(leg.knee), abs=0.6), (exercise_id, side)
            hip = _angle(j["neck"], j["hip"], j[f"{side}_knee"])
            assert hip == pytest.approx(abs(leg.hip), abs=0.6), (exercise_id, side)
            thigh = math.dist(j[f"{side}_hip"], j[f"{side}_knee"])
            assert thigh == pytest.approx(THIGH, abs=0.2)
            assert math.dist(j[f"{side}_knee"], j[f"{side}_ankle"]) == pytest.approx(SHIN, abs=0.2)


@pytest.mark.parametrize("exercise_id", sorted(poses.POSES))
def test_the_person_is_on_the_floor_and_in_the_picture(exercise_id: str) -> None:
    for pose in poses.POSES[exercise_id]:
        j = figures.placed(pose)
        lowest = max(*(y for _, y in j.values()), j["head"][1] + HEAD_R)
        assert lowest <= FLOOR, exercise_id  # nothing under the floor
        if pose.rest is None:
            assert lowest >= FLOOR - 2, exercise_id  # standing on it, not floating
        assert all(0 <= x <= WIDTH and 0 <= y <= HEIGHT for x, y in j.values()), exercise_id
        assert j["head"][1] - HEAD_R >= 0, exercise_id  # the whole head shows


def test_an_impossible_angle_is_refused_before_drawing() -> None:
    bent_backward = Pose(base="standing", near=Leg(knee=-40), far=Leg())
    assert figures.out_of_range(bent_backward) == ["near leg knee -40 outside 0..140"]
    with pytest.raises(ValueError, match="knee -40"):
        figures.figure_svg(bent_backward, "Broken")
    too_far = Pose(base="lying_back", trunk=80)
    assert "trunk 80 outside" in figures.out_of_range(too_far)[0]


def test_a_figure_is_a_titled_svg_and_the_same_pose_gives_the_same_bytes(kb: Knowledge) -> None:
    start, _ = poses.POSES["glute_bridge"]
    one = figures.figure_svg(start, "Hip lift (bridge): start position")
    assert one == figures.figure_svg(start, "Hip lift (bridge): start position")
    root = ET.fromstring(one)  # noqa: S314 - made here
    assert root.get("role") == "img"
    assert root[0].tag == f"{SVG}title"
    assert root[0].text == "Hip lift (bridge): start position"


LEG_ANGLES = st.builds(
    Leg,
    hip=st.floats(*RANGES["hip"]),
    knee=st.floats(*RANGES["knee"]),
    ankle=st.floats(*RANGES["ankle"]),
)


@settings(max_examples=60, deadline=None)
@given(leg=LEG_ANGLES, trunk=st.floats(-15, 95))
def test_any_standing_pose_in_range_keeps_its_segment_lengths_and_angles(
    leg: Leg, trunk: float
) -> None:
    pose = Pose(base="standing", trunk=trunk, near=leg, far=Leg())
    j = figures.joints(pose)
    assert math.dist(j["near_hip"], j["near_knee"]) == pytest.approx(THIGH)
    assert math.dist(j["near_knee"], j["near_ankle"]) == pytest.approx(SHIN)
    knee = _angle(j["near_hip"], j["near_knee"], j["near_ankle"])
    assert knee == pytest.approx(abs(leg.knee), abs=1e-6)
    ET.fromstring(figures.figure_svg(pose, "Any"))  # noqa: S314 - made here


def test_each_position_is_served_and_an_unknown_one_is_a_404(client: Any) -> None:
    for position in ("start", "end"):
        page = client.get(f"/exercises/glute_bridge/{position}.svg")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("image/svg+xml")
        assert f"Hip lift (bridge): {position} position" in page.text
    assert client.get("/exercises/no_such/start.svg").status_code == 404
    assert client.get("/exercises/glute_bridge/middle.svg").status_code in (404, 422)
