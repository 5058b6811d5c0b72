"""Exercise figures drawn from joint angles: a skeleton with fixed segment lengths, posed by
anatomical angles (hip, knee, ankle, trunk, shoulder, elbow, neck) on a base posture (standing,
sitting, lying, kneeling), so a figure is right by construction: a knee bent 90 degrees is
drawn at 90 degrees, and an angle outside the body's range is refused before anything is drawn.

Pure: no database, no web. The same pose gives the same bytes.

Angles (degrees), measured from the anatomical position as a goniometer reads them:
hip flexion (+) / extension (-), hip abduction, `open` (the knee turned out about the body's long
axis, as in a clamshell), knee flexion, ankle dorsiflexion (+) / plantarflexion (-), foot turned
in, shoulder flexion (+) / extension (-), elbow flexion, neck flexion (+, chin down) / extension.
The trunk is placed by its angle to the base's reference: from upright for standing, sitting and
kneeling (+ leans forward), from the floor for lying (+ lifts the hips on the back, the chest on
the front).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal
from xml.sax.saxutils import escape

from popliteal.plans import bike, joint_ranges
from popliteal.plans._svg import circle as _circle
from popliteal.plans._svg import line as _line
from popliteal.plans._svg import num as _num
from popliteal.plans._svg import pts as _pts
from popliteal.plans._svg import rect as _rect

Pt = tuple[float, float]
Vec3 = tuple[float, float, float]  # along the body (toward the feet), forward, outward

Base = Literal[
    "standing", "standing_front", "sitting", "floor_sitting", "kneeling",
    "lying_back", "lying_front", "lying_side",
]  # fmt: skip

WIDTH, HEIGHT = 200.0, 140.0
FLOOR = 128.0
TRUNK, NECK, HEAD_R = 38.0, 4.0, 7.0
THIGH, SHIN, FOOT, HEEL = 27.0, 26.0, 9.0, 2.5
BALL = 0.6 * FOOT  # ankle to the ball of the foot, where a pedal goes
UPPER, FORE = 18.0, 17.0
HALF_HIPS, HALF_SHOULDERS = 5.0, 7.0  # seen from the front
SEAT = 24.0  # chair seat height above the floor
SIDE_TILT = 60.0  # degrees the viewer looks down on a person lying on their side

# The body's ranges of motion the figures may use, (least, most) in degrees, and how far the
# trunk may sit from its base's reference line: data, each limit with its source and whether it
# was read there or recalled (knowledge/data/joint_ranges.yaml).
RANGES: dict[str, tuple[float, float]] = joint_ranges.limits()
TRUNK_RANGE: dict[str, tuple[float, float]] = joint_ranges.trunk_limits()


@dataclass(frozen=True)
class Leg:
    hip: float = 0
    knee: float = 0
    ankle: float = 0
    abduction: float = 0
    open: float = 0
    turn_in: float = 0


@dataclass(frozen=True)
class Arm:
    shoulder: float = 0
    elbow: float = 0


@dataclass(frozen=True)
class Prop:
    """Something drawn with the person, placed at one of their points (`at`): a chair under
    the hip, a step under a foot, a wall at the hands, a band from an ankle to a post..."""

    kind: str
    at: str = "hip"
    size: float = 0


@dataclass(frozen=True)
class Pose:
    base: Base
    trunk: float = 0
    near: Leg = field(default_factory=Leg)
    far: Leg | None = None  # None: the same as the near leg
    near_arm: Arm = field(default_factory=Arm)
    far_arm: Arm | None = None
    neck: float = 0
    # The point that rests on the floor (or on a prop) and its height: by default the lowest
    # point of the body touches the floor.
    rest: tuple[str, float] | None = None
    props: tuple[Prop, ...] = ()

    def legs(self) -> tuple[Leg, Leg]:
        return self.near, self.far or self.near

    def arms(self) -> tuple[Arm, Arm]:
        return self.near_arm, self.far_arm or self.near_arm


def out_of_range(pose: Pose) -> list[str]:
    """Every angle of the pose outside the body's range, named; empty when the pose is one a
    body can take."""
    problems = []
    low, high = TRUNK_RANGE[pose.base]
    if not low <= pose.trunk <= high:
        problems.append(f"trunk {pose.trunk:g} outside {low:g}..{high:g} for {pose.base}")
    joints: list[tuple[str, object]] = [("near leg", pose.near), ("far leg", pose.legs()[1])]
    joints += [("near arm", pose.near_arm), ("far arm", pose.arms()[1])]
    for where, part in joints:
        for name, value in vars(part).items():
            low, high = RANGES[name]
            if not low <= value <= high:
                problems.append(f"{where} {name} {value:g} outside {low:g}..{high:g}")
    low, high = RANGES["neck"]
    if not low <= pose.neck <= high:
        problems.append(f"neck {pose.neck:g} outside {low:g}..{high:g}")
    return problems


# ----------------------------------------------------------------------------- geometry


def _unit(angle: float) -> Pt:
    r = math.radians(angle)
    return (math.cos(r), math.sin(r))


def _sagittal(theta: float) -> Vec3:
    """A unit vector in the body's side plane, `theta` degrees from "down the body" toward
    the front."""
    r = math.radians(theta)
    return (math.cos(r), math.sin(r), 0.0)


def _leg_turned(v: Vec3, leg: Leg) -> Vec3:
    """Abduct (out to the side), then turn the knee out about the body's long axis."""
    a, f, o = v
    ab = math.radians(leg.abduction)
    a, o = a * math.cos(ab) - o * math.sin(ab), a * math.sin(ab) + o * math.cos(ab)
    op = math.radians(leg.open)
    f, o = f * math.cos(op) - o * math.sin(op), f * math.sin(op) + o * math.cos(op)
    return (a, f, o)


@dataclass(frozen=True)
class View:
    """Where the body's axes land on screen: `along` (down the trunk), `front`, `out` (to
    the person's near side); a side view does not show `out`, a front view does not show
    `front`, and the view of a person lying on their side, from in front and above, shows
    both (foreshortened). `frontal`: the hips and shoulders show their width."""

    along: Pt
    front: Pt
    out: Pt
    frontal: bool = False

    def to_screen(self, origin: Pt, v: Vec3, length: float, mirror: bool = False) -> Pt:
        a, f, o = v
        o = -o if mirror else o
        x = a * self.along[0] + f * self.front[0] + o * self.out[0]
        y = a * self.along[1] + f * self.front[1] + o * self.out[1]
        return (origin[0] + length * x, origin[1] + length * y)


def view_of(pose: Pose) -> View:
    """The screen directions of the body's axes for this base and trunk angle (the person
    faces right; lying people have their head on the left)."""
    t = pose.trunk
    if pose.base in ("standing", "sitting", "floor_sitting", "kneeling"):
        along = 90 + t  # down the trunk, neck to hip: straight down when upright
        return View(_unit(along), _unit(along - 90), (0.0, 0.0))
    if pose.base == "standing_front":
        return View(_unit(90 + t), (0.0, 0.0), (1.0, 0.0), frontal=True)
    if pose.base == "lying_back":
        along = -t  # toward the feet; the hips lift as the trunk angle grows
        return View(_unit(along), _unit(along - 90), (0.0, 0.0))
    if pose.base == "lying_front":
        along = t  # the chest lifts as the trunk angle grows
        return View(_unit(along), _unit(along + 90), (0.0, 0.0))
    # Lying on the side, seen from in front and above: the body runs along the floor, the top
    # side (out) goes up the page and forward (toward the viewer) down it, so a patient sees
    # both the hips and knees bent forward and the top knee lifting (a clamshell).
    tilt = math.radians(SIDE_TILT)
    return View(_unit(-t), (0.0, math.sin(tilt)), (0.0, -math.cos(tilt)), frontal=True)


def joints(pose: Pose) -> dict[str, Pt]:
    """Every point of the posed body, hip at the origin (screen units, y down)."""
    view = view_of(pose)
    hip: Pt = (0.0, 0.0)
    j: dict[str, Pt] = {"hip": hip}
    j["neck"] = view.to_screen(hip, (-1, 0, 0), TRUNK)
    j["shoulder"] = view.to_screen(hip, (-1, 0, 0), TRUNK - 3)
    n = math.radians(pose.neck)
    j["head"] = view.to_screen(j["neck"], (-math.cos(n), math.sin(n), 0), NECK + HEAD_R)
    for side, leg in zip(("near", "far"), pose.legs(), strict=True):
        mirror = side == "far"
        root = view.to_screen(hip, (0, 0, 1), HALF_HIPS, mirror) if view.frontal else hip
        thigh = _leg_turned(_sagittal(leg.hip), leg)
        shin = _leg_turned(_sagittal(leg.hip - leg.knee), leg)
        foot = _leg_turned(_sagittal(leg.hip - leg.knee + 90 + leg.ankle), leg)
        turned = math.cos(math.radians(leg.turn_in))
        j[f"{side}_hip"] = root
        j[f"{side}_knee"] = view.to_screen(root, thigh, THIGH, mirror)
        j[f"{side}_ankle"] = view.to_screen(j[f"{side}_knee"], shin, SHIN, mirror)
        j[f"{side}_toe"] = view.to_screen(j[f"{side}_ankle"], foot, FOOT * turned, mirror)
        j[f"{side}_heel"] = view.to_screen(j[f"{side}_ankle"], foot, -HEEL * turned, mirror)
        j[f"{side}_ball"] = view.to_screen(j[f"{side}_ankle"], foot, BALL * turned, mirror)
        # points along the limb for props that sit under it (a roller, a ball, a towel)
        j[f"{side}_mid_thigh"] = _between(j[f"{side}_hip"], j[f"{side}_knee"], 0.5)
        j[f"{side}_upper_shin"] = _between(j[f"{side}_knee"], j[f"{side}_ankle"], 0.3)
        j[f"{side}_mid_shin"] = _between(j[f"{side}_knee"], j[f"{side}_ankle"], 0.55)
    for side, arm in zip(("near", "far"), pose.arms(), strict=True):
        mirror = side == "far"
        shoulder = j["shoulder"]
        if view.frontal:
            shoulder = view.to_screen(shoulder, (0, 0, 1), HALF_SHOULDERS, mirror)
        j[f"{side}_shoulder"] = shoulder
        j[f"{side}_elbow"] = view.to_screen(shoulder, _sagittal(arm.shoulder), UPPER, mirror)
        forearm = _sagittal(arm.shoulder + arm.elbow)
        j[f"{side}_hand"] = view.to_screen(j[f"{side}_elbow"], forearm, FORE, mirror)
    return j


def _between(p: Pt, q: Pt, share: float) -> Pt:
    return (p[0] + (q[0] - p[0]) * share, p[1] + (q[1] - p[1]) * share)


def _lowest(j: dict[str, Pt]) -> float:
    return max(max(p[1] for p in j.values()), j["head"][1] + HEAD_R)


def placed(pose: Pose) -> dict[str, Pt]:
    """The body moved onto the floor (or its props) and centred in the picture."""
    j = joints(pose)
    if pose.rest is None:
        dy = FLOOR - 1.5 - _lowest(j)
    else:
        name, height = pose.rest
        dy = FLOOR - height - j[name][1]
    xs = [p[0] for p in j.values()] + [j["head"][0] - HEAD_R, j["head"][0] + HEAD_R]
    dx = WIDTH / 2 - (min(xs) + max(xs)) / 2
    return {k: (round(x + dx, 1), round(y + dy, 1)) for k, (x, y) in j.items()}


# ------------------------------------------------------------------------------ drawing


def _prop(prop: Prop, j: dict[str, Pt]) -> list[str]:
    """One prop, placed by the body's points: it fits the pose because it is drawn from it."""
    x, y = j[prop.at]
    k = prop.kind
    if k == "chair":  # seat under the point, backrest behind
        seat = y + 3
        return [f'<path d="M{_num(x - 14)},{_num(FLOOR)} V{_num(seat - 30)} M{_num(x - 14)},'
                f'{_num(seat)} H{_num(x + 12)} V{_num(FLOOR)}" stroke-width="2.5"/>']  # fmt: skip
    if k == "chair_ahead":  # a chair whose backrest top is at the point (a hand on it)
        return [f'<path d="M{_num(x)},{_num(y + 1)} V{_num(FLOOR)} M{_num(x)},{_num(FLOOR - SEAT)}'
                f' H{_num(x + 24)} V{_num(FLOOR)}" stroke-width="2.5"/>']  # fmt: skip
    if k == "wall":  # a wall just beyond the point
        wx = x + (prop.size or 2)
        out = [_line((wx, 10), (wx, FLOOR), 2)]
        side = 1 if (prop.size or 2) > 0 else -1
        out += [_line((wx, yy), (wx + 5 * side, yy - 5), 1) for yy in range(16, int(FLOOR), 14)]
        return out
    if k == "step":  # a box under the point, its top at the point
        return [_rect(x - (prop.size or 14), y + 1.5, 30, FLOOR - y - 1.5)]
    if k == "bench":  # a bench from the head to the point (the knees hang past its end)
        left = j["head"][0] - HEAD_R - 4
        return [_rect(left, y + 1.5, x - left, 8), _line((left + 8, y + 9.5), (left + 8, FLOOR), 2),
                _line((x - 6, y + 9.5), (x - 6, FLOOR), 2)]  # fmt: skip
    if k == "roller":
        r = prop.size or 7
        return [_circle((x, y + r + 1.5), r, 2)]
    if k == "ball":
        return [_circle((x, y + 5.5), 4, 2)]
    if k == "towel":
        return [_rect(x - 6, y + 1.5, 12, 5, 2.5)]
    if k == "ice":
        return [_rect(x - 6, y - 8, 12, 6, 2)]
    if k == "weight":
        return [
            _line((x - 6, y), (x + 6, y), 2),
            _rect(x - 8, y - 4, 3, 8),
            _rect(x + 5, y - 4, 3, 8),
        ]
    if k == "band_post":  # a band from the point to a low post ahead (size: post's distance)
        px = x + (prop.size or 40)
        return [_rect(px - 2, FLOOR - 20, 4, 20), _line((x, y), (px, FLOOR - 16), 1.5, dash=True)]
    if k == "band_loop":  # a band around the point, tied behind at the same height
        return [_line((x, y), (x - (prop.size or 40), y), 1.5, dash=True),
                _rect(x - (prop.size or 40) - 2, y - 4, 4, FLOOR - y + 4)]  # fmt: skip
    if k == "strap":  # from the point (a foot) to the near hand
        return [_line((x, y), j["near_hand"], 1.5, dash=True)]
    if k == "anchor":  # a strap holding the ankles down
        return [_rect(x - 5, y - 4, 10, 8, 2)]
    if k == "water":
        d, xx, up = f"M6,{_num(y)}", 6.0, True
        while xx < WIDTH - 6:
            d += f" Q{_num(xx + 4)},{_num(y - 3 if up else y + 3)} {_num(xx + 8)},{_num(y)}"
            xx, up = xx + 8, not up
        return [f'<path d="{d}" stroke-width="1.5"/>']
    if k == "bike":  # a stationary bike built round the saddle (the point); size: crank angle
        return bike.bike_svg((x, y), prop.size, j["near_hand"], FLOOR)
    if k == "plate":  # a leg-press plate at the feet, seat under the hip
        return [_line((x - 2, y - 12), (x - 2, y + 12), 3)]
    if k == "chair_behind":  # a chair just behind the point (standing up from it)
        chair_x, seat_y = _num(x - 40), _num(FLOOR - SEAT)
        path = f"M{chair_x},{_num(FLOOR)} V{_num(FLOOR - SEAT - 30)} M{chair_x},{seat_y}"
        return [f'<path d="{path} H{_num(x - 12)} V{_num(FLOOR)}" stroke-width="2.5"/>']
    if k == "band_between":  # a band around both ankles
        return [_line(j["near_ankle"], j["far_ankle"], 1.5, dash=True)]
    if k == "pad":
        return [_rect(x - 14, y + 1.5, 28, 5, 2)]
    raise ValueError(f"unknown prop {k!r}")


def _chain(j: dict[str, Pt], side: str, parts: tuple[str, ...]) -> list[Pt]:
    return [j[f"{side}_{p}"] for p in parts]


def body_svg(pose: Pose) -> list[str]:
    """The posed person and their props, far limbs thin and grey, near ones bold."""
    j = placed(pose)
    out: list[str] = [_line((6, FLOOR), (WIDTH - 6, FLOOR), 1.5)]
    if pose.base == "lying_side":  # the floor seen from above: its far edge behind the back
        back = j["far_hip"][1] - 20 * math.sin(math.radians(SIDE_TILT))
        left, right = j["head"][0] - HEAD_R - 10, max(x for x, _ in j.values()) + 10
        out.append(f'<g stroke="#6b7280">{_line((left, back), (right, back), 1)}</g>')
    for prop in pose.props:
        out += _prop(prop, j)
    leg = ("hip", "knee", "ankle", "toe")
    arm = ("shoulder", "elbow", "hand")
    far = (
        f'<g stroke="#6b7280" stroke-width="2.5"><polyline points="{_pts(_chain(j, "far", leg))}"/>'
    )
    far += f'<polyline points="{_pts(_chain(j, "far", arm))}"/>'
    far += f'<line x1="{_num(j["far_ankle"][0])}" y1="{_num(j["far_ankle"][1])}" '
    far += f'x2="{_num(j["far_heel"][0])}" y2="{_num(j["far_heel"][1])}"/></g>'
    out.append(far)
    near = '<g stroke-width="3.5">'
    near += f'<polyline points="{_pts([j["near_hip"], j["hip"], j["neck"]])}"/>'
    if j["near_hip"] != j["far_hip"]:
        near += f'<polyline points="{_pts([j["near_hip"], j["far_hip"]])}"/>'
        near += f'<polyline points="{_pts([j["near_shoulder"], j["far_shoulder"]])}"/>'
    near += f'<polyline points="{_pts(_chain(j, "near", leg))}"/>'
    near += f'<line x1="{_num(j["near_ankle"][0])}" y1="{_num(j["near_ankle"][1])}" '
    near += f'x2="{_num(j["near_heel"][0])}" y2="{_num(j["near_heel"][1])}"/>'
    near += f'<polyline points="{_pts(_chain(j, "near", arm))}"/></g>'
    out.append(near)
    out.append(_circle(j["head"], HEAD_R, 2.5, "#fff"))
    for side, limb in zip(("near", "far"), pose.legs(), strict=True):
        if limb.turn_in:
            out.append(_turn_arrow(j, side, far=side == "far"))
    return out


CUE_CLASS = "cue-turn-in"  # the curved arrow at a foot that turns in


def movement_words(pose: Pose) -> str:
    """What a position shows that its side view hides, in words for its text alternative:
    empty, or e.g. "the foot turned in"."""
    near, far = pose.legs()
    if near.turn_in and far.turn_in:
        return "both feet turned in"
    return "the foot turned in" if near.turn_in or far.turn_in else ""


def _turn_arrow(j: dict[str, Pt], side: str, *, far: bool) -> str:
    """A curved arrow round the ankle, from the toe's straight-ahead place toward the body's
    middle: a turn of the foot hardly changes a side view, so the arrow shows it. The arc is a
    ring round the shin seen from a little above; the near foot turns in away from the viewer
    (over the top of the ring), a far foot toward them (under it)."""
    ax, ay = j[f"{side}_ankle"]
    hx, _ = j[f"{side}_heel"]
    ahead = 1.0 if j[f"{side}_toe"][0] >= hx else -1.0
    rx, ry, lift = FOOT + 4, 5.0, 10.0
    up = 1.0 if not far else -1.0
    cx, cy = ax + ahead * 2, ay - lift

    def at(deg: float) -> Pt:
        r = math.radians(deg)
        return (cx + ahead * rx * math.cos(r), cy - up * ry * math.sin(r))

    sweep = [at(a) for a in range(-30, 151, 15)]
    tip, back = sweep[-1], sweep[-2]
    dx, dy = tip[0] - back[0], tip[1] - back[1]
    size = math.hypot(dx, dy) or 1.0
    ux, uy = dx / size, dy / size
    head = [
        (tip[0] - 4 * ux + 3 * uy, tip[1] - 4 * uy - 3 * ux),
        tip,
        (tip[0] - 4 * ux - 3 * uy, tip[1] - 4 * uy + 3 * ux),
    ]
    return (
        f'<g class="{CUE_CLASS}" stroke-width="2"><polyline points="{_pts(sweep)}"/>'
        f'<polyline points="{_pts(head)}"/></g>'
    )


def frame(*poses: Pose) -> tuple[float, float, float, float]:
    """The part of the picture to show (x, y, width, height): the people zoomed in as far as
    they fit, at most twice, the floor at the bottom. Given both positions of an exercise, the
    two are drawn at the same scale, so they compare."""
    points = [p for pose in poses for p in placed(pose).values()]
    heads = [placed(pose)["head"] for pose in poses]
    left = min(min(x for x, _ in points), *(h[0] - HEAD_R for h in heads)) - 12
    right = max(max(x for x, _ in points), *(h[0] + HEAD_R for h in heads)) + 12
    top = min(min(y for _, y in points), *(h[1] - HEAD_R for h in heads)) - 10
    bottom = FLOOR + 6
    scale = min(WIDTH / (right - left), HEIGHT / (bottom - top), 2.0)
    w, h = WIDTH / scale, HEIGHT / scale
    return (round((left + right) / 2 - w / 2, 1), round(bottom - h, 1), round(w, 1), round(h, 1))


def _box(view: tuple[float, float, float, float]) -> str:
    return " ".join(_num(v) for v in view)


def _checked(poses: tuple[Pose, ...], title: str) -> None:
    for pose in poses:
        problems = out_of_range(pose)
        if problems:
            raise ValueError(f"{title}: " + "; ".join(problems))


STYLE = 'fill="none" stroke="#111" stroke-linecap="round" stroke-linejoin="round"'


def figure_svg(pose: Pose, title: str, *, with_pose: Pose | None = None) -> str:
    """One position as a standalone SVG with its title (the accessible name); `with_pose`, the
    exercise's other position, sets the same scale for both."""
    _checked((pose,), title)
    view = frame(pose, with_pose or pose)
    body = "\n".join(body_svg(pose))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{_box(view)}" role="img">\n'
        f"<title>{escape(title)}</title>\n"
        f'<rect x="{_num(view[0])}" y="{_num(view[1])}" width="{_num(view[2])}"'
        f' height="{_num(view[3])}" fill="#fff"/>\n'
        f"<g {STYLE}>\n{body}\n</g>\n</svg>\n"
    )


def _desc(start: Pose, end: Pose) -> str:
    words = [f"{when}: {w}." for when, w in (("At the start", movement_words(start)),
             ("At the end", movement_words(end))) if w]  # fmt: skip
    return f"<desc>{escape(' '.join(words))}</desc>\n" if words else ""


def pair_svg(start: Pose, end: Pose, title: str) -> str:
    """Start and end side by side at one scale, an arrow between, labelled: the picture on the
    handout and Today's list."""
    _checked((start, end), title)
    view = _box(frame(start, end))
    w = 2 * WIDTH + 20
    panels = ""
    for x, pose in ((0.0, start), (WIDTH + 20, end)):
        body = "\n".join(body_svg(pose))
        panels += (
            f'<svg x="{_num(x)}" y="0" width="{_num(WIDTH)}" height="{_num(HEIGHT)}"'
            f' viewBox="{view}">\n<g {STYLE}>\n{body}\n</g>\n</svg>\n'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(w)} {_num(HEIGHT)}"'
        f' role="img">\n<title>{escape(title)}</title>\n{_desc(start, end)}'
        f'<rect width="{_num(w)}" height="{_num(HEIGHT)}" fill="#fff"/>\n{panels}'
        f'<path d="M{_num(WIDTH + 2)},70 H{_num(WIDTH + 16)} M{_num(WIDTH + 11)},65'
        f' L{_num(WIDTH + 17)},70 L{_num(WIDTH + 11)},75" fill="none" stroke="#111"'
        ' stroke-width="2"/>\n'
        '<g font-family="sans-serif" font-size="11" fill="#111">'
        '<text x="8" y="14">Start</text>'
        f'<text x="{_num(WIDTH + 28)}" y="14">End</text></g>\n</svg>\n'
    )
