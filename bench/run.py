"""`make bench`: screening and plan-draft speed, adaptive-interview quality, in one run.

Speed is printed as a ratio to a fixed pure-Python baseline timed in the same run, so the figure
means the same on a fast or a slow machine. Interview quality is measured on synthetic cases
sampled from the knowledge base (see popliteal.screening.simulate): how many steps the adaptive
interview needs before its top three equals the full questionnaire's top three (and stays so),
and how often the two agree when the interview stops.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from popliteal.knowledge.loader import default_knowledge
from popliteal.plans.rules import DraftRequest, draft_plan
from popliteal.screening.differential import rank
from popliteal.screening.engine import screen
from popliteal.screening.interview import plan
from popliteal.screening.simulate import run_interview, sample_case
from popliteal.screening.triage import triage

PARTIAL = 15
# Wall time by default; `--cpu-time` times this process's CPU time instead (time.process_time),
# which other processes on a shared machine move far less.
clock: Callable[[], float] = time.perf_counter


def per_call_seconds(
    fn: Callable[[], object], *, repeat: int = 5, min_seconds: float = 0.2
) -> float:
    """Best of `repeat` timed loops, per call: robust to a busy machine."""
    calls = 1
    while True:
        start = clock()
        for _ in range(calls):
            fn()
        if clock() - start > min_seconds:
            break
        calls *= 2
    best = float("inf")
    for _ in range(repeat):
        start = clock()
        for _ in range(calls):
            fn()
        best = min(best, (clock() - start) / calls)
    return best


def baseline_workload() -> object:
    """A fixed pure-Python job (sort 10,000 seeded floats): the speed yardstick."""
    rng = random.Random(0)
    return sorted(rng.random() for _ in range(10_000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=400, help="synthetic cases to simulate")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP load test")
    parser.add_argument(
        "--no-running", action="store_true", help="skip the year-of-GPX import benchmark"
    )
    parser.add_argument(
        "--no-outcomes", action="store_true", help="skip the 100,000-row KOOS scoring benchmark"
    )
    parser.add_argument(
        "--no-import-lock",
        action="store_true",
        help="skip the 20 MB import under load and the largest upload's memory",
    )
    parser.add_argument(
        "--patients",
        type=int,
        default=0,
        help="also time the patient list and record at this many patients with a year of "
        "history (10000 for issue 17's figure: about 10 minutes of loading)",
    )
    parser.add_argument("--postgres", help="with --patients: also on this PostgreSQL URL")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time the screening, plan draft and interview lines in CPU time, not wall time "
        "(steadier on a shared machine; the baseline is timed the same way)",
    )
    args = parser.parse_args()
    global clock
    if args.cpu_time:
        clock = time.process_time

    kb = default_knowledge()
    rng = random.Random(args.seed)
    cases = [sample_case(kb, rng) for _ in range(args.cases)]
    rank(kb, {})  # warm caches once, as a running server would be

    base = per_call_seconds(baseline_workload)
    print(f"knowledge_version {kb.version}; {args.cases} synthetic cases, seed {args.seed}")
    timed = "CPU time" if args.cpu_time else "wall time"
    print(f"baseline (sort 10k floats): {base * 1e3:.3f} ms per call ({timed})")
    print("\nScreening evaluation time per case (all of a case's answers at once)")
    print(f"{'step':<34}{'ms/case':>10}{'x baseline':>12}")
    sample = cases[:100]
    for name, fn in (
        ("triage (red flags)", lambda c: triage(kb, c.answers)),
        ("differential (rank)", lambda c: rank(kb, c.answers)),
        ("interview plan (next questions)", lambda c: plan(kb, c.answers)),
        ("whole screening (screen)", lambda c: screen(kb, c.answers)),
    ):
        seconds = per_call_seconds(lambda fn=fn: [fn(c) for c in sample]) / len(sample)
        print(f"{name:<34}{seconds * 1e3:>10.3f}{seconds / base:>12.2f}")

    # A typical partial answer set: the first PARTIAL answers of a case (about you, the danger
    # signs, how it started), as a screening part-way through the interview sends it.
    partial = [dict(list(c.answers.items())[:PARTIAL]) for c in sample]
    per_case = [per_call_seconds(lambda a=a: screen(kb, a), min_seconds=0.01) for a in partial]
    median = statistics.median(per_case)
    label = f"screen, first {PARTIAL} answers (median)"
    print(f"{label:<34}{median * 1e3:>10.3f}{median / base:>12.2f}")

    requests = [
        DraftRequest(condition=cid, pain=pain, goal=goal, equipment=frozenset({"band", "step"}))
        for cid in sorted(kb.protocols)
        for pain in (8, 5, 2)
        for goal in ("everyday_life", "return_to_running")
    ]
    seconds = per_call_seconds(lambda: [draft_plan(kb, r) for r in requests]) / len(requests)
    print(f"\nPlan draft ({len(requests)} requests: every protocol x 3 pain levels x 2 goals)")
    print(f"{'plan draft (draft_plan)':<34}{seconds * 1e3:>10.3f}{seconds / base:>12.2f}")

    start = clock()
    runs = [run_interview(kb, case) for case in cases]
    elapsed = clock() - start
    calm = [r for r in runs if not r.emergency]
    matched = [r.steps_to_match for r in calm if r.steps_to_match is not None]
    # A step is one screen the person sees (screening/pages.py shows the plan's first step): a
    # single question, or a checklist or short form whose questions are all on that screen.
    print("\nAdaptive interview on synthetic cases (a step is one screen: a single question,")
    print("or a checklist or short form shown whole)")
    print(f"  cases ended early by an emergency red flag: {len(runs) - len(calm)} of {len(runs)}")
    print(f"  of the other {len(calm)} cases:")
    print(
        f"  median steps to reach the full questionnaire's top 3: "
        f"{statistics.median(matched):.1f} (goal <= 12; reached in {len(matched)} cases)"
    )
    print(
        f"  median steps until the interview stops: {statistics.median(r.steps for r in calm):.1f}"
    )
    questions = [r.questions_to_match for r in calm if r.questions_to_match is not None]
    print(
        f"  median questions on those screens: {statistics.median(questions):.1f} to the "
        f"top 3, {statistics.median(r.questions for r in calm):.1f} until it stops"
    )
    person_questions = sum("P" in f.who for f in kb.findings.values())
    print(f"  questions in the full questionnaire: {person_questions}")
    agree3 = sum(r.top3_full == r.top3_adaptive for r in calm) / len(calm)
    agree1 = sum(r.top1_full == r.top1_adaptive for r in calm) / len(calm)
    print(f"  top-3 agreement with the full questionnaire at stop: {agree3:.1%}")
    print(f"  top-1 agreement with the full questionnaire at stop: {agree1:.1%}")
    print(
        f"  simulation time: {elapsed / len(runs) * 1e3:.1f} ms per interview "
        f"({elapsed / len(runs) / base:.1f} x baseline)"
    )
    if not args.no_running:
        import tempfile
        from pathlib import Path

        from running_import import bench_running_import

        with tempfile.TemporaryDirectory() as tmp:
            bench_running_import(Path(tmp))
    if not args.no_outcomes:
        import tempfile
        from pathlib import Path

        from outcomes_score import bench_outcomes_score

        with tempfile.TemporaryDirectory() as tmp:
            bench_outcomes_score(Path(tmp))
    if not args.no_import_lock:
        import tempfile
        from pathlib import Path

        from import_lock import bench_import_lock

        with tempfile.TemporaryDirectory() as tmp:
            bench_import_lock(Path(tmp))
    if args.patients:
        from patient_list import bench_patient_list

        bench_patient_list(args.patients, postgres=args.postgres)
    if not args.no_http:
        from http_load import report

        report()


if __name__ == "__main__":
    main()
