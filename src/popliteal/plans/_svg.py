"""SVG primitives the exercise figures and their props are drawn with: numbers rounded to a
tenth, so the same drawing gives the same bytes."""

from __future__ import annotations

Pt = tuple[float, float]


def num(v: float) -> str:
    s = f"{round(v, 1):.1f}"
    s = s[:-2] if s.endswith(".0") else s
    return "0" if s == "-0" else s


def pts(points: list[Pt]) -> str:
    return " ".join(f"{num(x)},{num(y)}" for x, y in points)


def line(p: Pt, q: Pt, width: float = 1.5, dash: bool = False) -> str:
    extra = ' stroke-dasharray="3 2"' if dash else ""
    return (
        f'<line x1="{num(p[0])}" y1="{num(p[1])}" x2="{num(q[0])}" y2="{num(q[1])}"'
        f' stroke-width="{num(width)}"{extra}/>'
    )


def rect(x: float, y: float, w: float, h: float, rx: float = 0) -> str:
    r = f' rx="{num(rx)}"' if rx else ""
    return (
        f'<rect x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}"{r}'
        ' stroke-width="1.5"/>'
    )


def circle(c: Pt, r: float, width: float = 1.5, fill: str = "none") -> str:
    return (
        f'<circle cx="{num(c[0])}" cy="{num(c[1])}" r="{num(r)}"'
        f' stroke-width="{num(width)}" fill="{fill}"/>'
    )
