"""What sport an activity is, and whether it counts toward running load. Pure: no database.

Watch files say what was recorded: a FIT session's `sport` and `sub_sport`, a TCX activity's
`Sport` attribute, a GPX track's free-text `<type>`. A ride, swim or row loads the knee very
differently from running (no impact, a fraction of the ground force per stride), so only
running counts toward weekly running distance and the acute:chronic ratio; walking counts
only inside the graded walk-run programme, where the walking minutes are part of the dose.
Everything else is kept and shown as cross-training, never as running distance.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

Sport = Literal["running", "walking", "cycling", "swimming", "rowing", "other"]
SPORTS: tuple[str, ...] = get_args(Sport)
SPORT_NAMES: dict[str, str] = {
    "running": "Run",
    "walking": "Walk",
    "cycling": "Ride",
    "swimming": "Swim",
    "rowing": "Row",
    "other": "Other exercise",
}
# FIT sport and sub_sport names (fitdecode's profile) that map to one of ours. `generic` and a
# missing value say nothing: the person's choice is used then.
_FIT_SPORTS: dict[str, Sport] = {
    "running": "running",
    "walking": "walking",
    "hiking": "walking",
    "cycling": "cycling",
    "e_biking": "cycling",
    "swimming": "swimming",
    "rowing": "rowing",
    "paddling": "rowing",
    "kayaking": "rowing",
    "stand_up_paddleboarding": "rowing",
}
_FIT_SUB_SPORTS: dict[str, Sport] = {
    "treadmill": "running",
    "trail": "running",
    "track": "running",
    "indoor_running": "running",
    "indoor_walking": "walking",
    "indoor_cycling": "cycling",
    "spin": "cycling",
    "indoor_rowing": "rowing",
    "lap_swimming": "swimming",
    "open_water": "swimming",
}
_FIT_UNSAID = {"generic", "all", "", "none"}
# Parts of a multisport file that are not an activity of their own.
FIT_TRANSITION = "transition"
# Free text (GPX <type>, TCX Sport): the word's stem is enough ("Run", "running", "trail_run").
_WORDS: tuple[tuple[re.Pattern[str], Sport], ...] = (
    (re.compile(r"run|jog"), "running"),
    (re.compile(r"walk|hik"), "walking"),
    (re.compile(r"cycl|bik|ride"), "cycling"),
    (re.compile(r"swim"), "swimming"),
    (re.compile(r"row|kayak|canoe|paddl"), "rowing"),
)


def fit_sport(sport: object, sub_sport: object) -> Sport | None:
    """Our sport for a FIT session's sport and sub_sport, or None when the file does not say."""
    sport_name = str(sport).lower() if sport is not None else ""
    sub_name = str(sub_sport).lower() if sub_sport is not None else ""
    if sub_name in _FIT_SUB_SPORTS:
        return _FIT_SUB_SPORTS[sub_name]
    if sport_name in _FIT_SPORTS:
        return _FIT_SPORTS[sport_name]
    if sport_name in _FIT_UNSAID or sport_name.isdigit():
        return None
    return "other"


def text_sport(text: str | None) -> Sport | None:
    """Our sport for a TCX Sport or GPX <type> word, or None when it names no sport we know."""
    word = (text or "").strip().lower()
    if not word or word == "other":
        return None
    for pattern, sport in _WORDS:
        if pattern.search(word):
            return sport
    return None


def counts_as_running(sport: str, *, walk_run_programme: bool) -> bool:
    """Whether an activity adds to running load: running always, walking inside the walk-run
    programme only (its walk breaks are part of the prescribed dose)."""
    return sport == "running" or (sport == "walking" and walk_run_programme)
