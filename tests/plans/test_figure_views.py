"""What a patient must see in the pictures that are hardest to draw (issue 18): a clamshell
lying on the side with hips and knees bent, feet together and the top knee opening; a leg lift
on the side with the bottom knee bent; a stationary bike with the feet on its pedals."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from popliteal.plans import bike, figures, poses
from popliteal.plans.figures import HALF_HIPS, SHIN, THIGH

SVG = "{http://www.w3.org/2000/svg}"
Pt = tuple[float, float]


def _turn(p: Pt, q: Pt, r: Pt) -> float:
    """How far the drawn limb turns at q, in degrees (0 = straight on)."""
    a = math.atan2(q[1] - p[1], q[0] - p[0])
    b = math.atan2(r[1] - q[1], r[0] - q[0])
    return abs((math.degrees(b - a) + 180) % 360 - 180)


def _knee_turn(j: dict[str, Pt], side: str) -> float:
    return _turn(j[f"{side}_hip"], j[f"{side}_knee"], j[f"{side}_ankle"])


@pytest.mark.parametrize("position", [0, 1], ids=["start", "end"])
def test_the_clamshell_shows_both_legs_bent_not_straight(position: int) -> None:
    j = figures.placed(poses.POSES["clamshell"][position])
    for side in ("near", "far"):
        # straight legs, as the drawing once looked, turn 0 degrees and reach THIGH + SHIN
        assert _knee_turn(j, side) >= 40, side
        assert math.dist(j[f"{side}_hip"], j[f"{side}_ankle"]) <= 0.8 * (THIGH + SHIN), side
        assert j[f"{side}_knee"][1] > j[f"{side}_hip"][1] - 8, side  # knees forward, not up


def test_the_clamshell_keeps_the_feet_together_and_opens_the_top_knee() -> None:
    start, end = (figures.placed(p) for p in poses.POSES["clamshell"])
    for j in (start, end):
        assert math.dist(j["near_ankle"], j["far_ankle"]) <= 2 * HALF_HIPS + 1
    assert start["near_knee"][1] - end["near_knee"][1] >= 6  # the top knee lifts on the page
    assert end["far_knee"] == start["far_knee"]  # the bottom leg stays on the floor
    gap = [math.dist(j["near_knee"], j["far_knee"]) for j in (start, end)]
    assert gap[1] - gap[0] >= 8


def test_the_side_lying_leg_lift_shows_the_bottom_knee_bent_and_the_top_leg_straight() -> None:
    start, end = (figures.placed(p) for p in poses.POSES["side_lying_hip_abduction"])
    for j in (start, end):
        assert _knee_turn(j, "far") >= 40
        assert _knee_turn(j, "near") < 1
    assert start["near_ankle"][1] - end["near_ankle"][1] >= 10  # the top leg goes up


def test_every_side_lying_picture_has_a_bent_leg_to_show() -> None:
    # the side-lying view must show hip and knee bends (foreshortened, as any oblique view does):
    # a bent leg drawn straight fails here
    for exercise_id, pair in poses.POSES.items():
        for pose in pair:
            if pose.base != "lying_side":
                continue
            j = figures.placed(pose)
            for side, leg in zip(("near", "far"), pose.legs(), strict=True):
                if leg.knee >= 45:
                    assert _knee_turn(j, side) >= 0.45 * leg.knee, (exercise_id, side)


def _level_lines(svg: str) -> list[Pt]:
    """The middles of the drawing's level lines (a pedal is one)."""
    root = ET.fromstring(svg)  # noqa: S314 - made here
    middles = []
    for el in root.iter(f"{SVG}line"):
        x1, y1, x2, y2 = (float(el.get(a, "0")) for a in ("x1", "y1", "x2", "y2"))
        if y1 == y2 and 5 <= x2 - x1 <= 9:
            middles.append(((x1 + x2) / 2, y1))
    return middles


@pytest.mark.parametrize(("position", "crank"), [(0, 0.0), (1, 180.0)], ids=["start", "end"])
def test_the_bike_rider_has_the_balls_of_both_feet_on_the_drawn_pedals(
    position: int, crank: float
) -> None:
    pose = poses.POSES["stationary_bike"][position]
    j = figures.placed(pose)
    pedals = _level_lines(figures.figure_svg(pose, "Exercise bike"))
    for side, angle in (("near", crank), ("far", crank + 180)):
        assert math.dist(j[f"{side}_ball"], bike.pedal(j["hip"], angle)) < 0.5, side
        assert any(math.dist(j[f"{side}_ball"], p) < 0.6 for p in pedals), side


def test_the_bike_starts_with_the_near_pedal_at_the_top_and_ends_at_the_bottom() -> None:
    start, end = (figures.placed(p) for p in poses.POSES["stationary_bike"])
    centre = bike.crank_centre(start["hip"])
    assert start["near_ball"][1] == pytest.approx(centre[1] - bike.CRANK, abs=0.3)
    assert end["near_ball"][1] == pytest.approx(centre[1] + bike.CRANK, abs=0.3)
    # the knee well bent at the top, nearly straight (but not locked) at the bottom
    assert _knee_turn(start, "near") > 90
    assert 15 <= _knee_turn(end, "near") <= 40
    assert start["hip"] == end["hip"]  # the same saddle in both


def test_the_bike_has_a_saddle_under_the_hip_a_flywheel_and_a_handlebar_at_the_hands() -> None:
    pose = poses.POSES["stationary_bike"][0]
    j = figures.placed(pose)
    root = ET.fromstring(figures.figure_svg(pose, "Exercise bike"))  # noqa: S314 - made here
    circles = [float(c.get("r", "0")) for c in root.iter(f"{SVG}circle")]
    assert 10 in circles  # the flywheel (the head is 7, the chainring 5)
    saddles = [
        el
        for el in root.iter(f"{SVG}line")
        if el.get("stroke-width") == "4" and el.get("y1") == el.get("y2")
    ]
    assert len(saddles) == 1
    x1, x2, y = (float(saddles[0].get(a, "0")) for a in ("x1", "x2", "y1"))
    assert x1 < j["hip"][0] < x2  # the saddle under the hip, touching it
    assert 0 < y - j["hip"][1] <= 4
    frame = " ".join(p.get("d", "") for p in root.iter(f"{SVG}path"))
    nx, ny = j["near_hand"]
    assert f"L{nx - 1:g},{ny + 3:g} H{nx + 5:g}" in frame  # the bar in the hand


TURNING_IN = ("popliteus_isometric", "tibial_internal_rotation_band")


def _turn_arrows(svg: str) -> list[list[Pt]]:
    """The points of each curved turn arrow in a drawing."""
    root = ET.fromstring(svg)  # noqa: S314 - made here
    arrows = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != figures.CUE_CLASS:
            continue
        points = []
        for line in group.iter(f"{SVG}polyline"):
            for pair in line.get("points", "").split():
                x, y = pair.split(",")
                points.append((float(x), float(y)))
        arrows.append(points)
    return arrows


@pytest.mark.parametrize("exercise_id", TURNING_IN)
def test_a_seated_foot_turn_shows_a_curved_arrow_at_the_foot_in_the_end_picture(
    exercise_id: str,
) -> None:
    # seen from the side, a foot turned in looks almost the same as one straight ahead: without
    # the arrow the start and end pictures were near twins
    start, end = poses.POSES[exercise_id]
    assert _turn_arrows(figures.figure_svg(start, "Start")) == []
    arrows = _turn_arrows(figures.figure_svg(end, "End", with_pose=start))
    assert len(arrows) == 1
    j = figures.placed(end)
    ankle = j["near_ankle"]
    xs, ys = [x for x, _ in arrows[0]], [y for _, y in arrows[0]]
    assert max(math.dist(p, ankle) for p in arrows[0]) <= 3 * figures.FOOT  # at the foot
    assert max(xs) - min(xs) >= figures.FOOT  # big enough to see, curving round the shin
    assert max(ys) - min(ys) >= 4
    assert max(ys) < figures.FLOOR  # above the floor, not under it
    pair = figures.pair_svg(start, end, "Pair")
    assert len(_turn_arrows(pair)) == 1
    desc = ET.fromstring(pair).find(f"{SVG}desc")  # noqa: S314 - made here
    assert desc is not None
    assert desc.text == "At the end: the foot turned in."


def test_exercises_without_a_turn_have_no_turn_arrow() -> None:
    for exercise_id, (start, end) in poses.POSES.items():
        if exercise_id in TURNING_IN:
            continue
        assert _turn_arrows(figures.pair_svg(start, end, exercise_id)) == [], exercise_id
        assert "<desc>" not in figures.pair_svg(start, end, exercise_id), exercise_id


def test_the_end_picture_served_names_the_foot_turning_in(client: Any) -> None:
    page = client.get("/exercises/popliteus_isometric/end.svg")
    assert page.status_code == 200
    assert ": end position, the foot turned in</title>" in page.text
    assert 'class="cue-turn-in"' in page.text
    assert "turned in" not in client.get("/exercises/popliteus_isometric/start.svg").text
