"""Write the exercise illustrations: one start-and-end drawing per exercise in exercises.yaml.

The drawings come from joint angles (src/popliteal/plans/poses.py, drawn by
src/popliteal/plans/figures.py); the files in knowledge/data/illustrations are what the printed
handout and the exercise thumbnails show. Run `.venv/bin/python tools/draw_exercises.py` after
changing a pose or an exercise's name (the name is the drawing's title); `--check` only reports
drawings that are missing or out of date (tests/plans/test_figures.py checks the same).
"""

from __future__ import annotations

import argparse
import sys

from popliteal.knowledge.loader import default_knowledge
from popliteal.plans.figures import pair_svg
from popliteal.plans.poses import POSES


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report, do not write")
    args = parser.parse_args()
    kb = default_knowledge()
    stale = []
    for ex in kb.exercises.values():
        start, end = POSES[ex.id]
        body = pair_svg(start, end, ex.name)
        path = kb.illustration_path(ex)
        if not path.exists() or path.read_text(encoding="utf-8") != body:
            stale.append(path.name)
            if not args.check:
                path.write_text(body, encoding="utf-8")
    verb = "out of date" if args.check else "written"
    print(f"{len(stale)} drawing(s) {verb}: {', '.join(stale) or 'none'}")  # noqa: T201
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
