"""Batch scoring for `make bench`: a 100,000-row KOOS CSV through popliteal.outcomes.batch,
next to a plain csv.reader pass over the same file in the same run.

The file has seeded random answers with some cells left empty (so some subscales are invalid).
Reading the file from disk is timed in both, so the ratio is what scoring costs on top of
merely reading the CSV.
"""

from __future__ import annotations

import csv
import random
import time
from pathlib import Path

from popliteal.knowledge.loader import default_knowledge
from popliteal.outcomes.batch import score_file

ROWS = 100_000
MISSING_SHARE = 0.05
REPEAT = 3


def write_koos_csv(path: Path, *, rows: int = ROWS, seed: int = 20261122) -> Path:
    """A KOOS CSV: an id column, the 42 items in form order, about 5% of cells empty."""
    kb = default_knowledge()
    items = [item.id for item in kb.outcomes.instruments["koos"].items]
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["id", *items])
        for n in range(rows):
            writer.writerow(
                [f"r{n:06d}"]
                + ["" if rng.random() < MISSING_SHARE else str(rng.randint(0, 4)) for _ in items]
            )
    return path


def plain_csv_pass(path: Path) -> int:
    """The yardstick: read and split every row with the standard csv module, nothing more."""
    with path.open(encoding="utf-8", newline="") as stream:
        return sum(1 for _ in csv.reader(stream))


def bench_outcomes_score(folder: Path, *, rows: int = ROWS) -> None:
    """Print rows per second for batch KOOS scoring and its ratio to a plain CSV read."""
    kb = default_knowledge()
    path = write_koos_csv(folder / "koos.csv", rows=rows)
    plain = score = float("inf")
    invalid = 0
    for _ in range(REPEAT):  # best of REPEAT, alternating, robust to a busy machine
        start = time.perf_counter()
        plain_csv_pass(path)
        plain = min(plain, time.perf_counter() - start)
        start = time.perf_counter()
        batch = score_file(path, "koos", kb.outcomes)
        score = min(score, time.perf_counter() - start)
        invalid = sum(not r.result.valid for r in batch.rows)
    print(f"\nBatch scoring: {rows:,}-row KOOS CSV ({MISSING_SHARE:.0%} cells empty)")
    print(f"  plain csv.reader pass: {plain:.2f} s ({rows / plain:,.0f} rows/s)")
    print(f"  popliteal score koos:  {score:.2f} s ({rows / score:,.0f} rows/s)")
    print(f"  ratio to the plain pass: {score / plain:.1f}x; {invalid:,} responses not fully valid")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        bench_outcomes_score(Path(tmp))
