"""The `popliteal load --json` object and the API's `load`: the pure load report as strict JSON
(a module of its own so the rules module stays about the rules)."""

from __future__ import annotations

import math
from typing import Any

from popliteal.running.rules import ACWR_CONVENTIONS, LoadReport


def report_to_json(report: LoadReport) -> dict[str, Any]:
    """The `popliteal load --json` object: strict JSON, floats at full precision, null for none."""
    out: dict[str, Any] = {
        "unit": report.unit,
        "weekly_totals": list(report.weekly_totals),
        "week_over_week_change_pct": report.week_over_week_change_pct,
        "acwr_rolling": report.acwr_rolling,
        "acwr_ewma": report.acwr_ewma,
        "longest_run_spike_pct": report.longest_run_spike_pct,
        "surface_share": dict(report.surface_share),
        "flags": [{"id": f.id, "message": f.message, "source": f.source} for f in report.flags],
        "today": report.today.isoformat(),
        "days": report.days,
        "daily": list(report.daily),
        "symptomatic": report.symptomatic,
        "notes": list(report.notes),
        "acwr_conventions": dict(ACWR_CONVENTIONS),
    }
    numbers = [
        *report.weekly_totals,
        *report.daily,
        *report.surface_share.values(),
        *(
            x
            for x in (
                report.week_over_week_change_pct,
                report.acwr_rolling,
                report.acwr_ewma,
                report.longest_run_spike_pct,
            )
            if x is not None
        ),
    ]
    if not all(math.isfinite(x) for x in numbers):
        raise ValueError("a load metric is not a finite number")
    return out
