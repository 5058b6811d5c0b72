"""How the engine did on validation cases: urgency safety and diagnostic rank, with 95% CIs.

Measures follow Gilbert et al. 2020 (BMJ Open 10:e040269): "safe" is the reference urgency,
more urgent, or at most one level less urgent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import URGENCY_ORDER, Urgency
from popliteal.screening.engine import screen
from popliteal.validation.cases import Case

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Outcome:
    case_id: str
    reference: Urgency
    urgency: Urgency
    diagnosis: str
    rank: int | None  # 1-based place of the confirmed diagnosis in the ranking

    @property
    def levels_less_urgent(self) -> int:
        """How many levels below the reference the engine's urgency is (negative: above)."""
        return URGENCY_ORDER.index(self.urgency) - URGENCY_ORDER.index(self.reference)

    @property
    def acceptable(self) -> bool:
        return self.urgency == self.reference

    @property
    def safe(self) -> bool:
        return self.levels_less_urgent <= 1

    @property
    def under_triage(self) -> bool:
        return self.levels_less_urgent > 0

    @property
    def emergency_to_routine(self) -> bool:
        return self.reference == "emergency" and self.urgency == "conservative"

    @property
    def top1(self) -> bool:
        return self.rank == 1

    @property
    def top3(self) -> bool:
        return self.rank is not None and self.rank <= 3


def run_case(kb: Knowledge, case: Case) -> Outcome:
    result = screen(kb, case.answers, role=case.role)
    ids = [c.id for c in result.conditions]
    rank = ids.index(case.diagnosis) + 1 if case.diagnosis in ids else None
    return Outcome(case.id, case.urgency, result.triage.urgency, case.diagnosis, rank)


def wilson(hits: int, n: int) -> tuple[float, float]:
    """The Wilson score 95% interval of a proportion (sound at 0% and 100% and small n)."""
    if n == 0:
        return (0.0, 1.0)
    p = hits / n
    centre = p + Z_95**2 / (2 * n)
    spread = Z_95 * math.sqrt(p * (1 - p) / n + Z_95**2 / (4 * n * n))
    denom = 1 + Z_95**2 / n
    return (max(0.0, (centre - spread) / denom), min(1.0, (centre + spread) / denom))


@dataclass(frozen=True)
class Rate:
    hits: int
    n: int

    @property
    def share(self) -> float:
        return self.hits / self.n if self.n else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.hits, self.n)

    def text(self) -> str:
        if self.n == 0:
            return "-"
        lo, hi = self.interval
        return f"{self.hits}/{self.n} {self.share:.0%} ({lo:.0%}-{hi:.0%})"

    def json(self) -> dict[str, float | int]:
        lo, hi = self.interval
        return {
            "hits": self.hits,
            "n": self.n,
            "share": round(self.share, 4),
            "ci95_low": round(lo, 4),
            "ci95_high": round(hi, 4),
        }


MEASURES: dict[str, Callable[[Outcome], bool]] = {
    "urgency_acceptable": lambda o: o.acceptable,
    "safe": lambda o: o.safe,
    "under_triage": lambda o: o.under_triage,
    "emergency_to_routine": lambda o: o.emergency_to_routine,
    "top1": lambda o: o.top1,
    "top3": lambda o: o.top3,
}


def summarise(outcomes: Iterable[Outcome]) -> dict[str, Rate]:
    """Each measure over these outcomes; emergencies sent to routine care over emergencies."""
    items = list(outcomes)
    rates = {name: Rate(sum(test(o) for o in items), len(items)) for name, test in MEASURES.items()}
    emergencies = [o for o in items if o.reference == "emergency"]
    rates["emergency_to_routine"] = Rate(
        sum(o.emergency_to_routine for o in emergencies), len(emergencies)
    )
    return rates
