"""Draw the exercise illustrations: one line drawing per exercise in exercises.yaml.

Run `.venv/bin/python tools/draw_exercises.py` after adding an exercise or renaming one (the
name is the drawing's <title>); `--check` only reports drawings that are missing or out of date.
Each figure is a stick person posed by joint angles (degrees on screen: 0 points right, 90
down, -90 up; the person faces right unless a pose says otherwise), plus a few props and an
arrow for the movement. Output is byte-stable: same data, same bytes.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import yaml

DATA = Path(__file__).resolve().parents[1] / "src" / "popliteal" / "knowledge" / "data"
OUT = DATA / "illustrations"

Pt = tuple[float, float]

FLOOR = 128.0
GROUND = FLOOR - 2  # ankle height of a standing foot
TRUNK, NECK, HEAD_R = 38.0, 4.0, 7.0
THIGH, SHIN, FOOT = 27.0, 26.0, 9.0
UPPER, FORE = 18.0, 17.0
SEAT = FLOOR - 24  # chair seat height


# ------------------------------------------------------------------------------- geometry


def num(v: float) -> str:
    """Format a coordinate with one decimal, without a trailing .0 or a negative zero."""
    s = f"{round(v, 1):.1f}"
    if s.endswith(".0"):
        s = s[:-2]
    return "0" if s == "-0" else s


def at(p: Pt, angle: float, length: float) -> Pt:
    """The point `length` away from p in direction `angle` (degrees)."""
    r = math.radians(angle)
    return (p[0] + length * math.cos(r), p[1] + length * math.sin(r))


def add(p: Pt, q: Pt) -> Pt:
    return (p[0] + q[0], p[1] + q[1])


def direction(p: Pt, q: Pt) -> float:
    return math.degrees(math.atan2(q[1] - p[1], q[0] - p[0]))


def dist(p: Pt, q: Pt) -> float:
    return math.hypot(q[0] - p[0], q[1] - p[1])


def ik(root: Pt, target: Pt, l1: float, l2: float, bend: int) -> tuple[Pt, Pt]:
    """Middle and end joint of a two-segment limb reaching for target (straight if too far)."""
    d = dist(root, target)
    base = direction(root, target)
    if d >= l1 + l2:
        return at(root, base, l1), at(root, base, l1 + l2)
    d = max(d, abs(l1 - l2) + 0.01)
    a = math.degrees(math.acos((l1 * l1 + d * d - l2 * l2) / (2 * l1 * d)))
    return at(root, base - bend * a, l1), target


# ------------------------------------------------------------------------------- drawing


def pts(points: Iterable[Pt]) -> str:
    return " ".join(f"{num(x)},{num(y)}" for x, y in points)


def line(p: Pt, q: Pt, width: float | None = None, dash: bool = False) -> str:
    extra = f' stroke-width="{num(width)}"' if width is not None else ""
    if dash:
        extra += ' stroke-dasharray="3 2"'
    return f'<line x1="{num(p[0])}" y1="{num(p[1])}" x2="{num(q[0])}" y2="{num(q[1])}"{extra}/>'


def polyline(points: Iterable[Pt], width: float | None = None) -> str:
    extra = f' stroke-width="{num(width)}"' if width is not None else ""
    return f'<polyline points="{pts(points)}"{extra}/>'


def polygon(points: Iterable[Pt], fill: bool = True) -> str:
    style = ' fill="#000" stroke-width="1"' if fill else ' stroke-width="1.5"'
    return f'<polygon points="{pts(points)}"{style}/>'


def circle(c: Pt, r: float, width: float = 2, fill: str | None = None) -> str:
    extra = f' fill="{fill}"' if fill else ""
    return (
        f'<circle cx="{num(c[0])}" cy="{num(c[1])}" r="{num(r)}"'
        f' stroke-width="{num(width)}"{extra}/>'
    )


def rect(x: float, y: float, w: float, h: float, width: float = 2, rx: float = 0) -> str:
    round_ = f' rx="{num(rx)}"' if rx else ""
    return (
        f'<rect x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}"{round_}'
        f' stroke-width="{num(width)}"/>'
    )


def head_of(tip: Pt, back: float) -> str:
    """A filled arrowhead with its point at tip, the shaft coming from direction `back`."""
    return polygon([tip, at(tip, back + 25, 6), at(tip, back - 25, 6)])


def arrow(p: Pt, q: Pt, both: bool = False) -> list[str]:
    """A straight movement arrow from p to q."""
    a = direction(p, q)
    start = at(p, a, 3) if both else p
    out = [line(start, at(q, a + 180, 3), width=1.5), head_of(q, a + 180)]
    if both:
        out.append(head_of(p, a))
    return out


def arc_arrow(c: Pt, r: float, a0: float, a1: float, both: bool = False) -> list[str]:
    """A curved movement arrow along a circle around c, from angle a0 to a1."""
    p, q = at(c, a0, r), at(c, a1, r)
    half = (a1 - a0) / 2
    ctrl = at(c, a0 + half, r / math.cos(math.radians(half)))
    sign = 1 if a1 > a0 else -1
    path = (
        f'<path d="M{num(p[0])},{num(p[1])} Q{num(ctrl[0])},{num(ctrl[1])} '
        f'{num(q[0])},{num(q[1])}" stroke-width="1.5"/>'
    )
    out = [path, head_of(q, a1 - sign * 90 - sign * 8)]
    if both:
        out.append(head_of(p, a0 + sign * 90 + sign * 8))
    return out


def twist(c: Pt) -> list[str]:
    """A rotation arrow around an upright limb (turning the shin)."""
    p, q = (c[0] - 9, c[1] - 3), (c[0] + 9, c[1] - 3)
    path = (
        f'<path d="M{num(p[0])},{num(p[1])} Q{num(c[0])},{num(c[1] + 9)} '
        f'{num(q[0])},{num(q[1])}" stroke-width="1.5"/>'
    )
    return [path, head_of(q, 135)]


# ---------------------------------------------------------------------------------- props


def floor(x0: float = 8, x1: float = 192, y: float = FLOOR) -> str:
    return line((x0, y), (x1, y), width=1.5)


def wall(x: float, side: int, top: float = 12, bottom: float = FLOOR) -> list[str]:
    """A wall surface at x; side -1 hatches to the left (solid side), +1 to the right."""
    out = [line((x, top), (x, bottom), width=2)]
    y = top + 6
    while y < bottom:
        out.append(line((x, y), (x + side * 5, y - 5), width=1))
        y += 14
    return out


def chair(x: float, back: str, seat: float = SEAT, w: float = 26, show_back: bool = True) -> str:
    """A side-view chair whose seat spans x..x+w; the backrest stands at the `back` end."""
    bx = x if back == "left" else x + w
    fx = x + w if back == "left" else x
    legs = f"M{num(x)},{num(seat)} H{num(x + w)} M{num(fx)},{num(seat)} V{num(FLOOR)}"
    top = f" M{num(bx)},{num(FLOOR)} V{num(seat - 32)}" if show_back else ""
    return f'<path d="{legs}{top}" stroke-width="2.5"/>'


def step(x: float, w: float, h: float) -> str:
    return rect(x, FLOOR - h, w, h)


def post(x: float, h: float) -> str:
    return rect(x - 2, FLOOR - h, 4, h, width=1.5)


def band(p: Pt, q: Pt) -> str:
    return line(p, q, width=1.5, dash=True)


def dumbbell(c: Pt) -> list[str]:
    return [
        line((c[0] - 6, c[1]), (c[0] + 6, c[1]), width=2),
        rect(c[0] - 8, c[1] - 4, 3, 8, 1.5),
        rect(c[0] + 5, c[1] - 4, 3, 8, 1.5),
    ]


def snowflake(c: Pt, r: float = 5) -> list[str]:
    return [line(at(c, a, r), at(c, a + 180, r), width=1.2) for a in (0, 60, 120)]


def waves(y: float, x0: float = 6, x1: float = 194, amp: float = 3, period: float = 16) -> str:
    d = f"M{num(x0)},{num(y)}"
    x = x0
    up = True
    while x < x1:
        crest = y - amp if up else y + amp
        d += f" Q{num(x + period / 4)},{num(crest)} {num(x + period / 2)},{num(y)}"
        x += period / 2
        up = not up
    return f'<path d="{d}" stroke-width="1.5"/>'


# --------------------------------------------------------------------------------- figure


@dataclass(frozen=True)
class Limb:
    """Two segments and an end piece: thigh, shin, foot (or upper arm, forearm)."""

    a1: float = 90
    a2: float = 90
    a3: float | None = 0  # foot direction; None for arms
    to: Pt | None = None  # reach this point (absolute) instead of using a1/a2
    bend: int = 1  # side of the middle joint when reaching: 1 knee-like (forward), -1 elbow-like
    scale: float = 1.0  # foreshortening
    root: Pt = (0.0, 0.0)  # offset of the hip/shoulder (front views, side-lying)


def leg(a1: float, a2: float, a3: float = 0, **kw: object) -> Limb:
    return Limb(a1, a2, a3, **kw)  # type: ignore[arg-type]


def arm(a1: float = 90, a2: float = 90, **kw: object) -> Limb:
    return Limb(a1, a2, None, **kw)  # type: ignore[arg-type]


def reach(target: Pt, bend: int = -1, **kw: object) -> Limb:
    return Limb(a3=None, to=target, bend=bend, **kw)  # type: ignore[arg-type]


def step_to(target: Pt, foot: float = 0, bend: int = 1, **kw: object) -> Limb:
    return Limb(a3=foot, to=target, bend=bend, **kw)  # type: ignore[arg-type]


@dataclass
class Body:
    """A posed stick person; `j` holds every joint once placed."""

    trunk: float = -90
    head: float | None = None
    near_leg: Limb = field(default_factory=Limb)
    far_leg: Limb | None = None
    near_arm: Limb = field(default_factory=lambda: arm())
    far_arm: Limb | None = None
    hunch: float = 0  # bow the trunk backward by this much (slump)
    j: dict[str, Pt] = field(default_factory=dict)

    def place(self, anchor: str, point: Pt) -> Body:
        """Pose the body so that joint `anchor` lands on point."""
        j: dict[str, Pt] = {"hip": (0.0, 0.0)}
        self._trunk(j)
        limbs = self._limbs()
        for key, limb in limbs:
            if limb.to is None:
                self._angles(j, key, limb)
        if anchor not in j:
            raise ValueError(f"cannot anchor on {anchor}")
        off = (point[0] - j[anchor][0], point[1] - j[anchor][1])
        j = {k: add(v, off) for k, v in j.items()}
        for key, limb in limbs:
            if limb.to is not None:
                self._reach(j, key, limb)
        self.j = j
        return self

    def _trunk(self, j: dict[str, Pt]) -> None:
        j["neck"] = at(j["hip"], self.trunk, TRUNK)
        j["shoulder"] = at(j["hip"], self.trunk, TRUNK - 3)
        j["head"] = at(j["neck"], self.trunk if self.head is None else self.head, NECK + HEAD_R)

    def _limbs(self) -> list[tuple[str, Limb]]:
        return [
            ("nl", self.near_leg),
            ("fl", self.far_leg or self.near_leg),
            ("na", self.near_arm),
            ("fa", self.far_arm or self.near_arm),
        ]

    def _root(self, j: dict[str, Pt], key: str, limb: Limb) -> Pt:
        return add(j["hip" if key.endswith("l") else "shoulder"], limb.root)

    def _lengths(self, key: str, limb: Limb) -> tuple[float, float, float]:
        if key.endswith("l"):
            return THIGH * limb.scale, SHIN * limb.scale, FOOT * limb.scale
        return UPPER * limb.scale, FORE * limb.scale, 0.0

    def _angles(self, j: dict[str, Pt], key: str, limb: Limb) -> None:
        l1, l2, l3 = self._lengths(key, limb)
        root = self._root(j, key, limb)
        mid = at(root, limb.a1, l1)
        end = at(mid, limb.a2, l2)
        j[key + "0"], j[key + "1"], j[key + "2"] = root, mid, end
        if limb.a3 is not None:
            j[key + "3"] = at(end, limb.a3, l3)

    def _reach(self, j: dict[str, Pt], key: str, limb: Limb) -> None:
        assert limb.to is not None  # noqa: S101 - only called for reaching limbs
        l1, l2, l3 = self._lengths(key, limb)
        root = self._root(j, key, limb)
        mid, end = ik(root, limb.to, l1, l2, limb.bend)
        j[key + "0"], j[key + "1"], j[key + "2"] = root, mid, end
        if limb.a3 is not None:
            j[key + "3"] = at(end, limb.a3, l3)

    def chain(self, key: str) -> list[Pt]:
        return [self.j[key + str(i)] for i in range(4) if key + str(i) in self.j]

    def draw(self) -> list[str]:
        """Far limbs thin, then trunk and head, then near limbs."""
        j = self.j
        out = [polyline(self.chain("fa"), width=2), polyline(self.chain("fl"), width=2)]
        for a, b in (("nl0", "fl0"), ("na0", "fa0")):
            if dist(j[a], j[b]) > 1:
                out.append(line(j[a], j[b]))
        if self.hunch:
            mid = ((j["hip"][0] + j["neck"][0]) / 2, (j["hip"][1] + j["neck"][1]) / 2)
            c = at(mid, self.trunk - 90, self.hunch)
            out.append(
                f'<path d="M{num(j["hip"][0])},{num(j["hip"][1])} Q{num(c[0])},{num(c[1])} '
                f'{num(j["neck"][0])},{num(j["neck"][1])}"/>'
            )
        else:
            out.append(line(j["hip"], j["neck"]))
        out.append(circle(j["head"], HEAD_R, width=2.5, fill="#fff"))
        out += [polyline(self.chain("nl")), polyline(self.chain("na"))]
        return out


def standing(x: float, **kw: object) -> Body:
    """A person standing with the near ankle at x on the floor."""
    return Body(**kw).place("nl2", (x, GROUND))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------- poses

Scene = list[str]


def lying_on_back(hip: Pt, **kw: object) -> Body:
    kw.setdefault("trunk", 180)
    kw.setdefault("near_arm", arm(5, 2))
    return Body(**kw).place("hip", hip)  # type: ignore[arg-type]


def lying_face_down(hip: Pt, **kw: object) -> Body:
    kw.setdefault("trunk", 180)
    kw.setdefault("head", 183)
    kw.setdefault("near_arm", arm(178, 182))
    kw.setdefault("near_leg", leg(0, 0, 80))
    return Body(**kw).place("hip", hip)  # type: ignore[arg-type]


def seated(x: float, **kw: object) -> Body:
    """A person on a chair seat, near ankle on the floor at x."""
    kw.setdefault("near_leg", leg(0, 92))
    kw.setdefault("near_arm", arm(75, 10))
    return Body(**kw).place("nl2", (x, GROUND))  # type: ignore[arg-type]


def hamstring_isometric() -> Scene:
    b = seated(108, near_leg=leg(0, 100), trunk=-95)
    b.near_arm = reach(at(b.j["hip"], 0, 20))
    b.place("nl2", (108, GROUND))
    hip = b.j["hip"]
    a = b.j["nl2"]
    return [
        floor(),
        chair(hip[0] - 16, "left", seat=hip[1] + 4),
        *b.draw(),
        *arrow((a[0] + 18, a[1] - 9), (a[0] + 5, a[1] - 9)),
    ]


def bridge(one_leg: bool) -> Scene:
    near = leg(-4, -4, -94) if one_leg else leg(-4, 96)
    b = Body(trunk=153, head=180, near_leg=near, far_leg=leg(-4, 96), near_arm=arm(14, 4)).place(
        "fl2", (128, GROUND)
    )
    h = b.j["hip"]
    return [floor(), *b.draw(), *arrow((h[0] - 4, h[1] - 5), (h[0] - 4, h[1] - 22))]


def hamstring_curl_band() -> Scene:
    b = lying_face_down((104, 120), near_leg=leg(0, -100, -20), far_leg=leg(0, 0, 60))
    k, a = b.j["nl1"], b.j["nl2"]
    return [
        floor(),
        post(182, 18),
        band(a, (182, FLOOR - 14)),
        *b.draw(),
        *arc_arrow(k, 34, -78, -128),
    ]


def askling_extender() -> Scene:
    b = lying_on_back(
        (104, 121),
        near_leg=leg(-90, -30, -120),
        far_leg=leg(0, 0, -90),
        near_arm=reach((101, 103)),
        far_arm=reach((99, 101)),
    )
    return [floor(), *b.draw(), *arc_arrow(b.j["nl1"], 34, -70, -20)]


def askling_diver() -> Scene:
    b = Body(
        trunk=-15,
        head=-12,
        near_leg=leg(82, 96),
        far_leg=leg(165, 165, 80),
        near_arm=arm(2, 2),
        far_arm=arm(8, 8),
    ).place("nl2", (86, GROUND))
    return [floor(), *b.draw(), *arc_arrow(b.j["hip"], 62, -38, -8)]


def askling_glider() -> Scene:
    b = Body(trunk=-86, near_leg=leg(62, 112), far_arm=reach((146, 73)), near_arm=reach((148, 74)))
    hip = b.place("nl2", (112, GROUND)).j[
        "hip"
    ]  # where the hip is decides where the back foot lands
    b.far_leg = step_to((hip[0] - 26, GROUND), foot=175)
    b.place("nl2", (112, GROUND))
    fa = b.j["fl2"]
    return [floor(), chair(146, "left"), *b.draw(), *arrow((fa[0] - 8, 117), (fa[0] - 28, 117))]


def nordic(assisted: bool) -> Scene:
    lean = -62 if assisted else -50
    b = Body(
        trunk=lean,
        head=lean + 5,
        near_leg=leg(lean + 180, 180, 180),
        near_arm=arm(lean + 110, lean + 70) if not assisted else arm(lean + 130, lean + 100),
    ).place("nl1", (92, 123))
    a = b.j["nl2"]
    out = [
        floor(),
        rect(a[0] - 9, a[1] - 11, 14, 7, width=2),
        *b.draw(),
        *arc_arrow(b.j["nl1"], 86, lean, lean + 22),
    ]
    if assisted:
        chest = at(b.j["hip"], lean, 26)
        out = [*wall(26, -1), band(chest, (26, 40)), *out]
    return out


def romanian_deadlift() -> Scene:
    b = standing(104, trunk=-28, head=-18, near_leg=leg(64, 96), near_arm=arm(90, 92))
    hand = b.j["na2"]
    return [
        floor(),
        *b.draw(),
        *dumbbell((hand[0], hand[1] + 2)),
        *arc_arrow(b.j["hip"], 50, -32, -72),
    ]


def hamstring_stretch_supine() -> Scene:
    b = lying_on_back(
        (100, 121),
        near_leg=leg(-68, -68, -158),
        far_leg=leg(0, 0, -90),
        near_arm=reach((82, 98)),
        far_arm=reach((80, 100)),
    )
    foot = b.j["nl2"]
    hand = b.j["na2"]
    return [floor(), line(hand, foot, width=1.5), *b.draw(), *arc_arrow(b.j["hip"], 62, -74, -96)]


def hamstring_stretch_seated() -> Scene:
    b = Body(trunk=-58, head=-45, far_leg=leg(8, 100), near_leg=leg(32, 32, -58))
    b.place("fl2", (104, GROUND))
    thigh_pt = at(b.j["hip"], 32, 20)
    b.near_arm = reach(thigh_pt)
    b.far_arm = reach(thigh_pt)
    b.place("fl2", (104, GROUND))
    hip = b.j["hip"]
    return [
        floor(),
        chair(hip[0] - 22, "left", seat=hip[1] + 4),
        *b.draw(),
        *arc_arrow(hip, 50, -92, -62),
    ]


def quad_set() -> Scene:
    b = lying_on_back((84, 121), near_leg=leg(-4, 4, -90))
    k = b.j["nl1"]
    return [
        floor(),
        circle((k[0], k[1] + 5), 4.5, width=2),
        *b.draw(),
        *arrow((k[0], k[1] - 20), (k[0], k[1] - 6)),
    ]


def straight_leg_raise() -> Scene:
    b = lying_on_back(
        (90, 121), near_leg=leg(-24, -24, -114), far_leg=step_to((122, GROUND), foot=-5)
    )
    return [floor(), *b.draw(), *arc_arrow(b.j["hip"], 60, -12, -38)]


def terminal_knee_extension() -> Scene:
    b = standing(98, near_leg=leg(80, 100), far_leg=leg(92, 90), near_arm=arm(95, 80))
    k = b.j["nl1"]
    return [
        floor(),
        post(168, 44),
        band((k[0] - 2, k[1]), (168, k[1])),
        *b.draw(),
        *arrow((k[0] - 4, k[1] - 9), (k[0] - 17, k[1] - 9)),
    ]


def sit_to_stand() -> Scene:
    b = Body(
        trunk=-48, head=-38, near_leg=leg(16, 105), near_arm=arm(-8, -8), far_arm=arm(-4, -6)
    ).place("nl2", (108, GROUND))
    hip = b.j["hip"]
    return [
        floor(),
        chair(hip[0] - 24, "left"),
        *b.draw(),
        *arrow((hip[0] - 12, hip[1] + 2), (hip[0] - 12, hip[1] - 22)),
    ]


def mini_squat() -> Scene:
    b = Body(
        trunk=-76, near_leg=leg(62, 112), near_arm=reach((134, 74)), far_arm=reach((132, 75))
    ).place("nl2", (92, GROUND))
    hip = b.j["hip"]
    return [
        floor(),
        chair(134, "left"),
        *b.draw(),
        *arrow((hip[0] - 14, hip[1] - 14), (hip[0] - 14, hip[1] + 8), both=True),
    ]


def wall_sit() -> Scene:
    b = Body(trunk=-90, head=-84, near_leg=leg(35, 95), near_arm=arm(80, 10)).place(
        "nl2", (90, GROUND)
    )
    return [floor(), *wall(b.j["hip"][0] - 10, -1), *b.draw()]


def step_up() -> Scene:
    hip = (102.0, 74.0)
    b = Body(
        trunk=-86,
        near_leg=step_to((124, FLOOR - 18)),
        far_leg=step_to((92, GROUND - 3), foot=40),
        near_arm=arm(110, 80),
        far_arm=arm(70, 40),
    ).place("hip", hip)
    return [floor(), step(112, 48, 16), *b.draw(), *arrow((150, 104), (150, 80))]


def lateral_step_down() -> Scene:
    b = Body(
        trunk=-90,
        near_leg=leg(92, 89, 180, scale=0.86, root=(-5, 0)),
        far_leg=leg(80, 94, 15, root=(5, 0)),
        near_arm=arm(120, 100, root=(-8, 2)),
        far_arm=arm(60, 80, root=(8, 2)),
    ).place("nl2", (80, FLOOR - 18))
    fa = b.j["fl2"]
    return [
        floor(),
        step(50, 44, 16),
        *b.draw(),
        *arrow((fa[0] + 14, fa[1] - 16), (fa[0] + 14, fa[1] + 2)),
    ]


def leg_press() -> Scene:
    hip = (72.0, 104.0)
    b = Body(trunk=-128, head=-115, near_leg=leg(-42, 32, -98), near_arm=reach((80, 106))).place(
        "hip", hip
    )
    a = b.j["nl2"]
    px = a[0] + 3
    machine = [
        line((44, 110), (90, 110), width=4),
        line((58, 110), (36, 76), width=4),
        line((52, 110), (52, FLOOR), width=2),
        line((84, 110), (84, FLOOR), width=2),
        line((px, a[1] - 16), (px + 4, a[1] + 14), width=4),
        line((px + 2, a[1]), (178, 74), width=2),
        line((150, 84), (150, FLOOR), width=2),
    ]
    return [floor(), *machine, *b.draw(), *arrow((px + 8, a[1] + 12), (px + 26, a[1] + 8))]


def split_squat() -> Scene:
    b = Body(trunk=-90, near_leg=leg(18, 92), far_leg=leg(95, 175, 45), near_arm=arm(95, 85)).place(
        "nl2", (126, GROUND)
    )
    hip = b.j["hip"]
    return [
        floor(),
        *b.draw(),
        *arrow((hip[0] - 16, hip[1] - 30), (hip[0] - 16, hip[1] - 8), both=True),
    ]


def ankle_pumps() -> Scene:
    b = Body(
        trunk=-100,
        near_leg=leg(0, 0, -70),
        near_arm=reach((46, GROUND)),
        far_arm=reach((44, GROUND)),
    ).place("hip", (62, 121))
    a = b.j["nl2"]
    return [floor(), *b.draw(), *arc_arrow(a, 15, -115, -25, both=True)]


def calf_stretch(soleus: bool) -> Scene:
    hip = (98.0, 88.0) if soleus else (100.0, 84.0)
    back = step_to((76, GROUND)) if soleus else leg(125.5, 125.5)
    b = Body(
        trunk=-62 if soleus else -55,
        head=-50,
        near_leg=step_to((128, GROUND)),
        far_leg=back,
        near_arm=reach((151, 54 if not soleus else 58)),
        far_arm=reach((150, 57 if not soleus else 61)),
    ).place("hip", hip)
    return [floor(), *wall(152, 1), *b.draw()]


def on_toes(
    rise: float,
    knees: tuple[float, float] = (90, 90),
    lift_far: bool = False,
    arrow_up: bool = True,
) -> Scene:
    far = leg(96, 150, 60) if lift_far else None
    b = Body(
        trunk=-86,
        near_leg=leg(knees[0], knees[1], rise),
        far_leg=far,
        near_arm=reach((144, 48)),
        far_arm=reach((143, 51)),
    )
    b.place("nl3", (124, FLOOR - 1))
    out = [floor(), *wall(146, 1), *b.draw()]
    if arrow_up:
        a = b.j["nl2"]
        out += arrow((a[0] - 10, a[1] + 2), (a[0] - 10, a[1] - 20))
    return out


def eccentric_heel_drop() -> Scene:
    b = Body(
        trunk=-88,
        near_leg=leg(90, 90, -25),
        far_leg=leg(96, 150, 60),
        near_arm=reach((138, 42)),
        far_arm=reach((137, 45)),
    ).place("nl3", (117, FLOOR - 20))
    a = b.j["nl2"]
    return [
        floor(),
        step(112, 40, 18),
        *wall(140, 1, top=20, bottom=FLOOR - 18),
        *b.draw(),
        *arrow((a[0] - 9, a[1] - 16), (a[0] - 9, a[1] + 4)),
    ]


def pogo_hops() -> Scene:
    b = Body(
        trunk=-88,
        near_leg=leg(86, 94, 58),
        far_leg=leg(92, 90, 60),
        near_arm=arm(105, 75),
        far_arm=arm(98, 65),
    ).place("nl3", (100, FLOOR - 7))
    return [floor(), *b.draw(), *arrow((128, 118), (128, 96), both=True)]


def popliteus(band_: bool) -> Scene:
    b = seated(110, near_leg=leg(0, 90), trunk=-92)
    hip, k, a, toe = b.j["hip"], b.j["nl1"], b.j["nl2"], b.j["nl3"]
    out = [floor(), chair(hip[0] - 16, "left", seat=hip[1] + 4)]
    if band_:
        out += [post(170, 16), band(toe, (170, FLOOR - 12))]
    return [*out, *b.draw(), *twist(((k[0] + a[0]) / 2, (k[1] + a[1]) / 2 + 4))]


def single_leg_squat() -> Scene:
    b = Body(
        trunk=-72,
        near_leg=leg(55, 115),
        far_leg=leg(-5, 70, -30),
        near_arm=reach((78, 73), bend=1),
        far_arm=arm(20, -10),
    ).place("nl2", (104, GROUND))
    hip = b.j["hip"]
    return [
        floor(),
        chair(52, "right"),
        *b.draw(),
        *arrow((hip[0] - 10, hip[1] + 10), (hip[0] - 10, hip[1] + 30), both=True),
    ]


def clamshell() -> Scene:
    hip = (100.0, 117.0)
    near = leg(-26, 26, 20, scale=0.75, root=(0, -5))
    far = leg(10, -10, 0, scale=0.72)
    b = Body(
        trunk=180, head=190, near_leg=near, far_leg=far, near_arm=arm(22, 2), far_arm=arm(180, 182)
    ).place("hip", hip)
    k1, k2, feet = b.j["nl1"], b.j["fl1"], b.j["fl2"]
    return [
        floor(y=FLOOR - 3),
        band((k1[0] - 3, k1[1] + 3), (k2[0] - 3, k2[1] - 2)),
        *b.draw(),
        *arc_arrow(feet, 34, -172, -140),
    ]


def side_lying_hip_abduction() -> Scene:
    b = Body(
        trunk=180,
        head=190,
        near_leg=leg(-22, -22, 60, root=(0, -4)),
        far_leg=leg(10, 170, 180, scale=0.6),
        near_arm=arm(22, 2),
        far_arm=arm(180, 182),
    ).place("hip", (100, 117))
    return [floor(y=FLOOR - 3), *b.draw(), *arc_arrow(b.j["hip"], 54, -6, -30)]


def lateral_band_walk() -> Scene:
    b = Body(
        trunk=-90,
        near_leg=leg(100, 98, 180, scale=0.95, root=(-5, 0)),
        far_leg=leg(80, 82, 0, scale=0.95, root=(5, 0)),
        near_arm=arm(110, 95, root=(-8, 2)),
        far_arm=arm(70, 85, root=(8, 2)),
    ).place("hip", (94, 76))
    a1, a2 = b.j["nl2"], b.j["fl2"]
    return [
        floor(),
        band((a1[0], a1[1] - 4), (a2[0], a2[1] - 4)),
        *b.draw(),
        *arrow((130, 70), (158, 70)),
    ]


def prone_hip_extension() -> Scene:
    b = lying_face_down((104, 121), near_leg=leg(-14, -14, 76))
    return [floor(), *b.draw(), *arc_arrow(b.j["hip"], 58, -6, -30)]


def heel_slide() -> Scene:
    b = lying_on_back(
        (92, 121), near_leg=step_to((124, GROUND - 1), foot=-30), far_leg=leg(0, 0, -90)
    )
    a = b.j["nl2"]
    return [
        floor(),
        rect(a[0] - 6, FLOOR - 3, 16, 3, width=1.5),
        *b.draw(),
        *arc_arrow(b.j["hip"], 40, -12, -52),
    ]


def prone_hang() -> Scene:
    top = 94.0
    b = lying_face_down((98, top - 4), near_leg=leg(0, 6, 85), head=182)
    a = b.j["nl2"]
    bench = [
        rect(20, top, 100, 8),
        line((28, top + 8), (28, FLOOR), width=2),
        line((112, top + 8), (112, FLOOR), width=2),
    ]
    return [floor(), *bench, *b.draw(), *arrow((a[0] - 3, a[1] + 6), (a[0] - 3, a[1] + 22))]


def heel_prop() -> Scene:
    b = lying_on_back((80, 121), near_leg=leg(-4, -11, -100), far_leg=leg(0, 0, -90))
    a, k = b.j["nl2"], b.j["nl1"]
    return [
        floor(),
        circle((a[0], a[1] + 6), 5, width=2),
        *b.draw(),
        *arrow((k[0], k[1] - 22), (k[0], k[1] - 6)),
    ]


def nerve(slump: bool) -> Scene:
    if slump:
        b = seated(
            100,
            near_leg=leg(0, 8, -82),
            far_leg=leg(0, 92),
            trunk=-70,
            head=-10,
            hunch=6,
            near_arm=arm(80, 20),
        )
    else:
        b = seated(
            100,
            near_leg=leg(0, 12, -78),
            far_leg=leg(0, 92),
            trunk=-92,
            head=-120,
            near_arm=arm(80, 15),
        )
    b.place("fl2", (104, GROUND))
    hip = b.j["hip"]
    out = [
        floor(),
        chair(hip[0] - 16, "left", seat=hip[1] + 4),
        *b.draw(),
        *arc_arrow(b.j["nl1"], 32, 80, 22),
    ]
    if not slump:
        out += arc_arrow(b.j["neck"], 20, -70, -125)
    return out


def prone_press_up() -> Scene:
    b = lying_face_down((114, 121), trunk=214, head=222, near_arm=reach((90, GROUND)))
    return [floor(), *b.draw(), *arc_arrow(b.j["hip"], 52, -152, -122)]


def single_leg_stance(pad: bool) -> Scene:
    if pad:
        b = Body(
            trunk=-90,
            near_leg=leg(88, 92),
            far_leg=leg(100, 155, 60),
            near_arm=arm(40, 20),
            far_arm=arm(140, 160),
        ).place("nl2", (100, GROUND - 6))
        return [floor(), *wall(40, -1), rect(84, FLOOR - 6, 34, 6, width=2, rx=3), *b.draw()]
    b = Body(
        trunk=-90, near_leg=leg(88, 92), far_leg=leg(100, 155, 60), near_arm=reach((136, 73))
    ).place("nl2", (100, GROUND))
    return [floor(), chair(136, "left"), *b.draw()]


def star_excursion_reach() -> Scene:
    b = Body(
        trunk=-72,
        near_leg=leg(58, 114),
        far_leg=step_to((156, GROUND - 1), foot=-20),
        near_arm=arm(120, 150),
        far_arm=arm(60, 40),
    ).place("nl2", (88, GROUND))
    ticks = [line((x, FLOOR + 3), (x, FLOOR + 7), width=1.5) for x in (60, 94, 160)]
    return [floor(), *ticks, *b.draw(), *arrow((126, 112), (150, 112))]


def stationary_bike() -> Scene:
    crank, wheel, saddle, bar = (116.0, 106.0), (156.0, 108.0), (90.0, 70.0), (146.0, 60.0)
    bike = [
        line((78, FLOOR - 1), (176, FLOOR - 1), width=3),
        polyline([saddle, crank, wheel, (140, 72), bar], width=2),
        line((82, 68), (98, 68), width=3),
        line(bar, (152, 58), width=3),
        circle(wheel, 13, width=2),
        line(crank, (112, FLOOR - 1), width=2),
        line(wheel, (164, FLOOR - 1), width=2),
        circle(crank, 3, width=2),
    ]
    near_pedal, far_pedal = at(crank, 105, 12), at(crank, -75, 12)
    b = Body(
        trunk=-55,
        head=-42,
        near_leg=step_to(near_pedal, foot=8),
        far_leg=step_to(far_pedal, foot=0),
        near_arm=reach((148, 58)),
        far_arm=reach((147, 60)),
    ).place("hip", (90, 64))
    return [floor(), *bike, line(near_pedal, far_pedal, width=2), *b.draw()]


def pool_running() -> Scene:
    b = Body(
        trunk=-84,
        near_leg=leg(35, 105, 30),
        far_leg=leg(115, 150, 80),
        near_arm=arm(115, 40),
        far_arm=arm(60, -30),
    ).place("hip", (98, 80))
    belt = [line(at(b.j["hip"], 0, 6), at(b.j["hip"], 180, 6), width=5)]
    return [waves(48), waves(126, amp=2), *belt, *b.draw()]


def brisk_walking() -> Scene:
    b = Body(
        trunk=-88,
        near_leg=leg(72, 82, -15),
        far_leg=leg(110, 118, 32),
        near_arm=arm(112, 80),
        far_arm=arm(68, 20),
    ).place("nl2", (118, GROUND - 2))
    return [floor(), *b.draw(), *arrow((150, 40), (178, 40))]


def foam_roll(part: str) -> Scene:
    if part == "hamstring":
        b = Body(
            trunk=-120,
            near_leg=leg(6, 25, -60),
            far_leg=step_to((118, GROUND)),
            near_arm=reach((46, GROUND)),
        ).place("hip", (78, 104))
        r = 8.0
        c = at(b.j["hip"], 6, 15)
        roller = circle((c[0], c[1] + r + 1.5), r, width=2)
        return [
            floor(),
            roller,
            *b.draw(),
            *arrow((c[0] - 12, c[1] - 10), (c[0] + 12, c[1] - 7.5), both=True),
        ]
    ball = part == "ball"
    r = 4.5 if ball else 7.0
    hip = (70.0, 120.0) if ball else (76.0, 110.0)
    near = leg(-5, 5, -80) if ball else leg(10, 0, -80)
    b = Body(
        trunk=-112,
        near_leg=near,
        far_leg=step_to((112, GROUND)) if ball else None,
        near_arm=reach((48, GROUND)),
    ).place("hip", hip)
    k, a = b.j["nl1"], b.j["nl2"]
    c = ((k[0] + a[0]) / 2, (k[1] + a[1]) / 2)
    body = circle((c[0], c[1] + r + 1.5), r, width=2, fill="#000" if ball else None)
    return [
        floor(),
        body,
        *b.draw(),
        *arrow((c[0] - 12, c[1] - 10), (c[0] + 12, c[1] - 10), both=True),
    ]


def ice_pack() -> Scene:
    b = lying_on_back((72, 121), near_leg=leg(-12, 8, -82), far_leg=leg(0, 0, -90))
    k = b.j["nl1"]
    pillow = rect(k[0] + 2, FLOOR - 10, 30, 10, width=2, rx=5)
    pack = rect(k[0] - 8, k[1] - 9, 16, 6, width=2, rx=2)
    return [floor(), pillow, *b.draw(), pack, *snowflake((k[0], k[1] - 20))]


POSES: dict[str, Callable[[], Scene]] = {
    "hamstring_isometric": hamstring_isometric,
    "glute_bridge": lambda: bridge(one_leg=False),
    "single_leg_bridge": lambda: bridge(one_leg=True),
    "hamstring_curl_band": hamstring_curl_band,
    "askling_extender": askling_extender,
    "askling_diver": askling_diver,
    "askling_glider": askling_glider,
    "nordic_hamstring_assisted": lambda: nordic(assisted=True),
    "nordic_hamstring": lambda: nordic(assisted=False),
    "romanian_deadlift": romanian_deadlift,
    "hamstring_stretch_supine": hamstring_stretch_supine,
    "hamstring_stretch_seated": hamstring_stretch_seated,
    "quad_set": quad_set,
    "straight_leg_raise": straight_leg_raise,
    "terminal_knee_extension": terminal_knee_extension,
    "sit_to_stand": sit_to_stand,
    "mini_squat": mini_squat,
    "wall_sit": wall_sit,
    "step_up": step_up,
    "lateral_step_down": lateral_step_down,
    "leg_press": leg_press,
    "split_squat": split_squat,
    "ankle_pumps": ankle_pumps,
    "gastrocnemius_stretch": lambda: calf_stretch(soleus=False),
    "soleus_stretch": lambda: calf_stretch(soleus=True),
    "calf_isometric": lambda: on_toes(30, arrow_up=False),
    "double_leg_heel_raise": lambda: on_toes(55),
    "single_leg_heel_raise": lambda: on_toes(55, lift_far=True),
    "bent_knee_heel_raise": lambda: on_toes(55, knees=(68, 112)),
    "eccentric_heel_drop": eccentric_heel_drop,
    "pogo_hops": pogo_hops,
    "popliteus_isometric": lambda: popliteus(band_=False),
    "tibial_internal_rotation_band": lambda: popliteus(band_=True),
    "single_leg_squat": single_leg_squat,
    "clamshell": clamshell,
    "side_lying_hip_abduction": side_lying_hip_abduction,
    "lateral_band_walk": lateral_band_walk,
    "prone_hip_extension": prone_hip_extension,
    "heel_slide": heel_slide,
    "prone_hang": prone_hang,
    "heel_prop": heel_prop,
    "sciatic_nerve_slider": lambda: nerve(slump=False),
    "sciatic_nerve_tensioner": lambda: nerve(slump=True),
    "prone_press_up": prone_press_up,
    "single_leg_stance": lambda: single_leg_stance(pad=False),
    "single_leg_stance_pad": lambda: single_leg_stance(pad=True),
    "star_excursion_reach": star_excursion_reach,
    "stationary_bike": stationary_bike,
    "pool_running": pool_running,
    "brisk_walking": brisk_walking,
    "foam_roll_hamstring": lambda: foam_roll("hamstring"),
    "foam_roll_calf": lambda: foam_roll("calf"),
    "massage_ball_calf": lambda: foam_roll("ball"),
    "ice_pack": ice_pack,
}


def render(title: str, scene: Scene) -> str:
    """The SVG text of one drawing: title first, white background, black strokes."""
    body = "\n".join(scene)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 140" role="img">\n'
        f"<title>{escape(title)}</title>\n"
        '<rect width="200" height="140" fill="#fff"/>\n'
        '<g fill="none" stroke="#000" stroke-width="3" stroke-linecap="round" '
        'stroke-linejoin="round">\n'
        f"{body}\n"
        "</g>\n</svg>\n"
    )


def drawings(data: Path = DATA) -> dict[str, str]:
    """File name -> SVG text for every exercise in exercises.yaml."""
    exercises = yaml.safe_load((data / "exercises.yaml").read_text(encoding="utf-8"))["exercises"]
    out: dict[str, str] = {}
    for ex in exercises:
        pose = POSES.get(ex["id"])
        if pose is None:
            raise SystemExit(f"no pose for exercise '{ex['id']}': add one to POSES")
        out[ex["illustration"]] = render(ex["name"], pose())
    return out


def main(argv: list[str] | None = None) -> int:
    """Write every drawing (or, with --check, report the ones that differ)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; fail if out of date")
    args = parser.parse_args(argv)
    stale = []
    for name, svg in drawings().items():
        path = OUT / name
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == svg:
            continue
        stale.append(name)
        if not args.check:
            OUT.mkdir(parents=True, exist_ok=True)
            path.write_text(svg, encoding="utf-8", newline="\n")
    if args.check and stale:
        sys.stderr.write("out of date (run tools/draw_exercises.py): " + ", ".join(stale) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
