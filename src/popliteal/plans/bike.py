"""The stationary bike of the cycling exercise, built round the saddle: where its crank turns
and where each pedal is at a crank angle (figures.py draws it; pose_kit.py puts the rider's
feet on the pedals). Screen units, y down, the rider facing right."""

from __future__ import annotations

import math

from popliteal.plans._svg import Pt, circle, line, num

CRANK_FROM_HIP: Pt = (12.0, 44.0)  # the crank's axle, ahead of and below the hip on the saddle
CRANK = 9.0  # crank length (about 17 cm at this scale)


def crank_centre(hip: Pt) -> Pt:
    """The crank's axle for a rider whose hip is at `hip` on the saddle."""
    return (hip[0] + CRANK_FROM_HIP[0], hip[1] + CRANK_FROM_HIP[1])


def pedal(hip: Pt, angle: float) -> Pt:
    """Where a pedal is when its crank is `angle` degrees round from the top, turning forward
    (0 top, 90 front, 180 bottom)."""
    cx, cy = crank_centre(hip)
    r = math.radians(angle)
    return (cx + CRANK * math.sin(r), cy - CRANK * math.cos(r))


def bike_svg(hip: Pt, angle: float, hand: Pt, floor: float) -> list[str]:
    """Frame, saddle, handlebar at the hand, flywheel, crank and both pedals (the near pedal at
    `angle`, the far one opposite, in grey)."""
    x, y = hip
    cx, cy = crank_centre(hip)
    fly = (cx + 27, cy - 2)  # the flywheel's hub, ahead of the crank
    near, far = pedal(hip, angle), pedal(hip, angle + 180)
    frame = (
        f"M{num(cx - 30)},{num(floor - 2)} H{num(cx + 42)}"  # the feet on the floor
        f" M{num(cx - 22)},{num(floor - 2)} L{num(cx)},{num(cy)} L{num(x - 1)},{num(y + 4)}"
        f" M{num(cx)},{num(cy)} L{num(fly[0])},{num(fly[1])}"  # the frame to the flywheel
        f" M{num(cx + 36)},{num(floor - 2)} L{num(fly[0])},{num(fly[1])}"
        f" L{num(hand[0] - 1)},{num(hand[1] + 3)} H{num(hand[0] + 5)}"  # the column and bar
    )
    return [
        f'<path d="{frame}" stroke-width="2.5"/>',
        line((x - 10, y + 3.5), (x + 6, y + 3.5), 4),  # the saddle
        circle(fly, 10, 2),
        f'<g stroke="#6b7280">{_crank((cx, cy), far)}</g>',
        circle((cx, cy), 5, 1.5),  # the chainring
        _crank((cx, cy), near),
    ]


def _crank(centre: Pt, pedal_at: Pt) -> str:
    """A crank arm from the axle and its pedal, level whatever the crank's angle."""
    x, y = pedal_at
    return line(centre, pedal_at, 2.5) + line((x - 3.5, y), (x + 3.5, y), 3)
