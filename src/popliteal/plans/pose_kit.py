"""Ways of building the poses in poses.py from what a therapist would say: a foot flat on the
floor, sitting on a chair, feet on a bike's pedals. Each returns angles, checked like any other
pose when it is drawn."""

from __future__ import annotations

import math

from popliteal.plans import bike
from popliteal.plans._svg import Pt
from popliteal.plans.figures import BALL, FLOOR, SHIN, THIGH, Arm, Leg, Pose, Prop, placed

CHAIR_HIP = 26.0  # the hip joint above the floor when sitting on a chair


def flat_standing(hip: float, knee: float, trunk: float = 0, **kw: float) -> Leg:
    """A leg whose foot is flat on the floor (standing, sitting, kneeling up)."""
    return Leg(hip=hip, knee=knee, ankle=trunk + knee - hip, **kw)


def flat_lying(hip: float, knee: float, trunk: float = 0, **kw: float) -> Leg:
    """A leg of a person on their back whose foot is flat on the floor."""
    return Leg(hip=hip, knee=knee, ankle=knee - hip - 90 - trunk, **kw)


def on_chair(**kw: object) -> Pose:
    """Sitting on a chair: the hip at seat height, the chair under it."""
    props = (Prop("chair"), *kw.pop("props", ()))  # type: ignore[misc]
    return Pose(base="sitting", rest=("hip", CHAIR_HIP), props=props, **kw)  # type: ignore[arg-type]


def height_of(pose: Pose, point: str) -> float:
    """How high above the floor a point of the placed pose is (a step under a foot)."""
    return round(FLOOR - placed(pose)[point][1], 1)


BIKE_HIP = 62.0  # the saddle's height: the hip above the floor
BIKE_TRUNK = 25.0  # leaning forward to the handlebar
BIKE_ARM = Arm(shoulder=65, elbow=15)


def leg_reaching(target: Pt, trunk: float, ankle: float) -> Leg:
    """The hip and knee angles that put the ball of the foot on `target` (screen units from
    the hip) for a seated person leaning `trunk` degrees, the ankle at `ankle`: the two-segment
    reach of thigh and shin-with-foot, knee bent forward."""
    # the shin and the foot up to its ball, as one segment from the knee
    a = math.radians(ankle)
    along, across = SHIN - BALL * math.sin(a), -BALL * math.cos(a)
    lower, offset = math.hypot(along, across), math.degrees(math.atan2(across, along))
    distance = math.hypot(*target)
    cos_bend = (distance**2 - THIGH**2 - lower**2) / (2 * THIGH * lower)
    if not -1 <= cos_bend <= 1:
        raise ValueError(f"a foot cannot reach {target} from the hip")
    bend = math.degrees(math.acos(cos_bend))
    r = math.radians(bend)
    thigh = math.degrees(math.atan2(target[1], target[0]))
    thigh -= math.degrees(math.atan2(lower * math.sin(r), THIGH + lower * math.cos(r)))
    hip = (90 + trunk - thigh + 180) % 360 - 180
    return Leg(hip=round(hip, 1), knee=round(bend - offset, 1), ankle=ankle)


def on_bike(crank: float, *, near_ankle: float, far_ankle: float) -> Pose:
    """Sitting on a stationary bike, the near pedal `crank` degrees round from the top (0 top,
    180 bottom) and the far one opposite, the balls of both feet on the pedals."""
    origin: Pt = (0.0, 0.0)
    return Pose(
        base="sitting",
        trunk=BIKE_TRUNK,
        near=leg_reaching(bike.pedal(origin, crank), BIKE_TRUNK, near_ankle),
        far=leg_reaching(bike.pedal(origin, crank + 180), BIKE_TRUNK, far_ankle),
        near_arm=BIKE_ARM,
        rest=("hip", BIKE_HIP),
        props=(Prop("bike", "hip", crank),),
    )
