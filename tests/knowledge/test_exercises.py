"""The exercise library: complete, ordered into progressions, safe to prescribe, and drawn."""

from __future__ import annotations

import itertools
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from popliteal.knowledge.checks.exercises import check_exercises
from popliteal.knowledge.loader import DATA_DIR, Knowledge
from popliteal.knowledge.schema import (
    PHASES,
    Category,
    Cited,
    ConditionsFile,
    Exercise,
    ExercisesFile,
    SourcesFile,
)
from tests.knowledge.editing import packaged

REPO = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
CATEGORIES = set(Category.__args__)  # type: ignore[attr-defined]

# Every kind of exercise the library issue asks for, by the ids that provide it.
ISSUE_GROUPS: dict[str, set[str]] = {
    "hamstring isometrics": {"hamstring_isometric"},
    "bridges": {"glute_bridge", "single_leg_bridge"},
    "Nordic progression": {"nordic_hamstring_assisted", "nordic_hamstring"},
    "Askling L-protocol": {"askling_extender", "askling_diver", "askling_glider"},
    "quadriceps incl. leg press": {"quad_set", "straight_leg_raise", "mini_squat", "leg_press"},
    "calf stretches": {"gastrocnemius_stretch", "soleus_stretch"},
    "heel raises": {"double_leg_heel_raise", "single_leg_heel_raise", "bent_knee_heel_raise"},
    "eccentric heel drops": {"eccentric_heel_drop"},
    "popliteus": {"popliteus_isometric", "tibial_internal_rotation_band"},
    "hip": {"clamshell", "side_lying_hip_abduction", "lateral_band_walk", "prone_hip_extension"},
    "heel slides and prone hang": {"heel_slide", "prone_hang"},
    "nerve glides": {"sciatic_nerve_slider", "sciatic_nerve_tensioner"},
    "balance": {"single_leg_stance", "single_leg_stance_pad", "star_excursion_reach"},
    "cycling and pool running": {"stationary_bike", "pool_running"},
    "foam roller and massage ball": {"foam_roll_hamstring", "foam_roll_calf", "massage_ball_calf"},
    "ice": {"ice_pack"},
}

# Progression chains a clinician expects: each exercise lists the next one as harder.
CHAINS = [
    ["quad_set", "straight_leg_raise", "mini_squat", "step_up", "split_squat"],
    ["ankle_pumps", "calf_isometric", "double_leg_heel_raise", "single_leg_heel_raise"],
    ["single_leg_heel_raise", "eccentric_heel_drop", "pogo_hops"],
    ["hamstring_isometric", "glute_bridge", "single_leg_bridge", "nordic_hamstring_assisted"],
    ["nordic_hamstring_assisted", "nordic_hamstring"],
    ["askling_extender", "askling_diver", "askling_glider"],
    ["popliteus_isometric", "tibial_internal_rotation_band", "single_leg_squat"],
    ["single_leg_stance", "single_leg_stance_pad", "star_excursion_reach"],
    ["sciatic_nerve_slider", "sciatic_nerve_tensioner"],
]

# Exercises that stand alone: no easier or harder variant makes clinical sense.
STANDALONE = {"ice_pack", "prone_press_up", "foam_roll_hamstring"}

# Open-chain or loaded hamstring work a healing PCL must not get before weeks 5-6.
PCL_HAMSTRING_WORK = {
    "hamstring_curl_band",
    "nordic_hamstring_assisted",
    "nordic_hamstring",
    "askling_extender",
    "askling_diver",
    "askling_glider",
    "romanian_deadlift",
}


def blocked(ex: Exercise, condition: str) -> set[str]:
    """The phases in which an exercise is contraindicated for a condition."""
    return {ph for c in ex.contraindications if c.condition == condition for ph in c.phases}


def test_the_library_file_validates_on_its_own() -> None:
    raw = packaged("exercises.yaml")
    library = ExercisesFile.model_validate(raw)
    exercises = {ex.id: ex for ex in library.exercises}
    conditions_raw = packaged("conditions.yaml")
    conditions = {c.id: c for c in ConditionsFile.model_validate(conditions_raw).conditions}
    sources_raw = packaged("sources.yaml")
    sources = {s.key for s in SourcesFile.model_validate(sources_raw).sources}
    problems: list[str] = []

    def cite(where: str, item: Cited) -> None:
        if item.source is not None and item.source not in sources:
            problems.append(f"{where}: unknown source {item.source}")

    problems += check_exercises(DATA_DIR, exercises, conditions, cite)
    assert problems == []
    assert len(exercises) == len(library.exercises), "an exercise id is used twice"


def test_the_library_is_large_and_covers_every_category(kb: Knowledge) -> None:
    assert len(kb.exercises) >= 40
    assert {ex.category for ex in kb.exercises.values()} == CATEGORIES


@pytest.mark.parametrize("group", sorted(ISSUE_GROUPS))
def test_every_kind_of_exercise_the_issue_names_is_there(kb: Knowledge, group: str) -> None:
    assert ISSUE_GROUPS[group] <= set(kb.exercises)


def test_equipment_matches_what_the_exercise_needs(kb: Knowledge) -> None:
    needs = {
        "leg_press": "leg_press",
        "stationary_bike": "stationary_bike",
        "pool_running": "pool",
        "foam_roll_hamstring": "foam_roller",
        "foam_roll_calf": "foam_roller",
        "massage_ball_calf": "massage_ball",
        "ice_pack": "ice_pack",
        "eccentric_heel_drop": "step",
        "hamstring_curl_band": "band",
    }
    for exercise, item in needs.items():
        assert item in kb.exercises[exercise].equipment, exercise
    # Bodyweight basics need nothing, so a person with no kit still gets a plan.
    for exercise in ("straight_leg_raise", "glute_bridge", "ankle_pumps", "brisk_walking"):
        assert kb.exercises[exercise].equipment == [], exercise


@pytest.mark.parametrize("chain", CHAINS, ids=lambda c: f"{c[0]}..{c[-1]}")
def test_progressions_lead_from_easy_to_hard(kb: Knowledge, chain: list[str]) -> None:
    for easy, hard in itertools.pairwise(chain):
        assert hard in kb.exercises[easy].harder, (easy, hard)
        assert easy in kb.exercises[hard].easier, (hard, easy)


def test_every_variant_link_goes_the_right_way(kb: Knowledge) -> None:
    wrong = []
    for ex in kb.exercises.values():
        for other in ex.easier:
            if kb.exercises[other].level > ex.level or ex.id not in kb.exercises[other].harder:
                wrong.append(f"{ex.id} -> easier {other}")
        for other in ex.harder:
            if kb.exercises[other].level < ex.level or ex.id not in kb.exercises[other].easier:
                wrong.append(f"{ex.id} -> harder {other}")
    assert wrong == []


def test_progressing_never_loops_back(kb: Knowledge) -> None:
    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(kb.exercises[start].harder)
        while todo:
            nxt = todo.pop()
            if nxt not in seen:
                seen.add(nxt)
                todo += kb.exercises[nxt].harder
        return seen

    assert [ex for ex in kb.exercises if ex in reachable(ex)] == []


def test_every_exercise_has_a_variant_unless_it_stands_alone(kb: Knowledge) -> None:
    unlinked = {ex.id for ex in kb.exercises.values() if not ex.easier and not ex.harder}
    assert unlinked == STANDALONE


def test_every_dose_and_contraindication_has_provenance(kb: Knowledge) -> None:
    def cited(item: Cited) -> bool:
        return item.source in kb.sources or bool((item.expert_judgement or "").strip())

    for ex in kb.exercises.values():
        assert cited(ex.dose), ex.id
        for c in ex.contraindications:
            assert cited(c), (ex.id, c.condition)
            assert c.condition in kb.conditions, (ex.id, c.condition)


@pytest.mark.parametrize(
    ("exercise", "source", "sets", "reps", "per_week"),
    [
        # Askling L-protocol (askling_2013): extender 3x12 twice daily, diver 3x6 every other
        # day, glider 3x4 every third day.
        ("askling_extender", "askling_2013", 3, 12, 14),
        ("askling_diver", "askling_2013", 3, 6, 3),
        ("askling_glider", "askling_2013", 3, 4, 2),
        # Petersen 2011 Nordic progression, week 1: one session of 2 x 5.
        ("nordic_hamstring", "petersen_2011", 2, 5, 1),
        # Alfredson-type heel drops (calf_rtr_appendix): 3 x 15 twice daily, every day.
        ("eccentric_heel_drop", "calf_rtr_appendix", 3, 15, 14),
        # Holm 2020: leg press 4 sets of 8-12 RM twice a week.
        ("leg_press", "holm_2020", 4, 12, 2),
    ],
)
def test_published_doses_are_used_and_cited(
    kb: Knowledge, exercise: str, source: str, sets: int, reps: int, per_week: int
) -> None:
    dose = kb.exercises[exercise].dose
    assert (dose.source, dose.sets, dose.reps, dose.per_week) == (source, sets, reps, per_week)


def test_isometric_holds_use_the_rio_dose_and_say_it_is_borrowed(kb: Knowledge) -> None:
    for exercise in ("hamstring_isometric", "popliteus_isometric"):
        dose = kb.exercises[exercise].dose
        assert (dose.sets, dose.hold_s) == (5, 45)  # rio_2015: 5 x 45 s at about 70% effort
        assert dose.source is None
        assert "Rio 2015" in (dose.expert_judgement or "")


@pytest.mark.parametrize("exercise", sorted(PCL_HAMSTRING_WORK))
def test_hamstring_work_waits_until_weeks_5_to_6_after_a_pcl_injury(
    kb: Knowledge, exercise: str
) -> None:
    ex = kb.exercises[exercise]
    # bryn_mawr_pcl_nonop: no open-chain hamstrings in weeks 0-4; hamstrings added at weeks 5-6.
    assert blocked(ex, "pcl_injury") == {"protect", "restore_motion", "strengthen"}
    assert all(
        c.source == "bryn_mawr_pcl_nonop"
        for c in ex.contraindications
        if c.condition == "pcl_injury"
    )


def test_quadriceps_work_is_never_blocked_after_a_pcl_injury(kb: Knowledge) -> None:
    for exercise in ("quad_set", "straight_leg_raise", "mini_squat", "leg_press"):
        assert blocked(kb.exercises[exercise], "pcl_injury") == set(), exercise


@pytest.mark.parametrize(
    ("exercises", "condition", "phases"),
    [
        (
            PCL_HAMSTRING_WORK,
            "posterolateral_corner_injury",
            {"protect", "restore_motion"},
        ),
        (
            {
                "nordic_hamstring_assisted",
                "nordic_hamstring",
                "hamstring_stretch_supine",
                "hamstring_stretch_seated",
                "hamstring_curl_band",
            },
            "hamstring_strain",
            {"protect"},
        ),
        (
            {
                "gastrocnemius_stretch",
                "soleus_stretch",
                "eccentric_heel_drop",
                "pogo_hops",
                "single_leg_heel_raise",
            },
            "gastrocnemius_strain",
            {"protect"},
        ),
        (
            {"split_squat", "pogo_hops", "single_leg_squat"},
            "meniscal_tear",
            {"protect", "restore_motion"},
        ),
        ({"pogo_hops"}, "knee_osteoarthritis", {"protect", "restore_motion", "strengthen"}),
        ({"pogo_hops", "split_squat"}, "bakers_cyst", {"protect", "restore_motion"}),
        ({"sciatic_nerve_tensioner"}, "lumbar_radiculopathy", {"protect"}),
        ({"sciatic_nerve_tensioner"}, "peripheral_nerve_lesion", {"protect"}),
        (
            {"foam_roll_hamstring", "foam_roll_calf", "massage_ball_calf"},
            "bakers_cyst",
            {"protect", "restore_motion"},
        ),
        (
            {"foam_roll_hamstring", "foam_roll_calf", "massage_ball_calf"},
            "bakers_cyst_rupture",
            {"protect", "restore_motion"},
        ),
        ({"foam_roll_hamstring", "foam_roll_calf", "massage_ball_calf"}, "dvt", set(PHASES)),
        (
            {"foam_roll_hamstring", "foam_roll_calf", "massage_ball_calf"},
            "popliteal_artery_aneurysm",
            set(PHASES),
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_risky_exercises_are_blocked_early_for_the_conditions_they_could_harm(
    kb: Knowledge, exercises: set[str], condition: str, phases: set[str]
) -> None:
    missing = {ex: phases - blocked(kb.exercises[ex], condition) for ex in exercises}
    assert {ex: gaps for ex, gaps in missing.items() if gaps} == {}


def test_gentle_first_steps_stay_open_in_the_protect_phase(kb: Knowledge) -> None:
    # Early care needs something to do: these must never be blocked at the start.
    for exercise in ("quad_set", "ankle_pumps", "heel_prop", "sciatic_nerve_slider"):
        assert all("protect" not in c.phases for c in kb.exercises[exercise].contraindications)


def test_every_illustration_is_a_small_self_contained_titled_svg(kb: Knowledge) -> None:
    problems = []
    for ex in kb.exercises.values():
        path = kb.illustration_path(ex)
        data = path.read_bytes()
        where = ex.illustration
        if len(data) >= 4096:
            problems.append(f"{where}: {len(data)} bytes")
        root = ET.fromstring(data)  # noqa: S314 - our own packaged files
        # start and end side by side, each 200 x 140 (plans/figures.py pair_svg)
        if root.tag != f"{SVG}svg" or root.get("viewBox") != "0 0 420 140":
            problems.append(f"{where}: not an svg with viewBox 0 0 420 140")
        if root.get("role") != "img":
            problems.append(f"{where}: no role=img")
        first = root[0] if len(root) else None
        if first is None or first.tag != f"{SVG}title" or first.text != ex.name:
            problems.append(f"{where}: the first child must be <title>{ex.name}</title>")
        for el in root.iter():
            tag = el.tag.removeprefix(SVG)
            if tag in {"image", "script", "style", "foreignObject", "use", "a"}:
                problems.append(f"{where}: <{tag}> is not allowed")
            if any("href" in name for name in el.attrib):
                problems.append(f"{where}: <{tag}> links to something")
            if any("url(" in value for value in el.attrib.values()):
                problems.append(f"{where}: <{tag}> refers to a url()")
        if b"url(" in data or b"http" in data.replace(b"http://www.w3.org/2000/svg", b""):
            problems.append(f"{where}: external reference")
    assert problems == []


def test_illustrations_are_black_strokes_readable_without_colour(kb: Knowledge) -> None:
    allowed = {"#111", "#fff", "#6b7280", "none"}  # near limbs black, far limbs grey
    for ex in kb.exercises.values():
        root = ET.fromstring(kb.illustration_path(ex).read_bytes())  # noqa: S314 - our files
        colours = {el.get(a) for el in root.iter() for a in ("fill", "stroke") if el.get(a)}
        assert colours <= allowed, (ex.illustration, colours)


def test_every_drawing_is_what_the_drawing_script_makes_byte_for_byte() -> None:
    script = REPO / "tools" / "draw_exercises.py"
    run = subprocess.run(
        [sys.executable, str(script), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert len(list((DATA_DIR / "illustrations").glob("*.svg"))) == len(
        packaged("exercises.yaml")["exercises"]
    ), "an illustration has no exercise"
