"""Accuracy of addressee and deadline extraction on hand-labelled items
(tests/data/assignments_labelled.tsv).

    python bench/assignment_quality.py [--errors]
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.parse import find_addressees, find_deadline  # noqa: E402

DATA = ROOT / "tests" / "data"
TUNING = DATA / "assignments_labelled.tsv"  # the extractor was tuned on these
HELD_OUT = DATA / "assignments_heldout.tsv"  # written after tuning


def labelled(path: Path) -> list[tuple[int, str, set[str], dt.date | None]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        year, text, addressees, deadline = (line.split("\t") + ["", ""])[:4]
        rows.append((int(year), text, {a for a in addressees.split("|") if a},
                     dt.date.fromisoformat(deadline) if deadline else None))
    return rows


def evaluate(path: Path) -> dict:
    tp = fp = fn = 0
    deadline_right = 0
    errors = []
    rows = labelled(path)
    for year, text, expected, deadline in rows:
        found = set(find_addressees(text))
        tp, fp, fn = tp + len(found & expected), fp + len(found - expected), fn + len(expected - found)
        got = find_deadline(text, year)
        got_date = got.date if got else None
        deadline_right += got_date == deadline
        if found != expected or got_date != deadline:
            errors.append((text, sorted(found - expected), sorted(expected - found), got_date, deadline))
    return {"items": len(rows), "addressee_precision": tp / (tp + fp) if tp + fp else 0.0,
            "addressee_recall": tp / (tp + fn) if tp + fn else 0.0,
            "deadline_accuracy": deadline_right / len(rows), "errors": errors}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--errors", action="store_true")
    args = ap.parse_args()
    for label, path in (("tuning set", TUNING), ("held-out set", HELD_OUT)):
        result = evaluate(path)
        print(f"{label}: {result['items']} items: addressees precision {result['addressee_precision']:.2f}, "
              f"recall {result['addressee_recall']:.2f}; deadlines right {result['deadline_accuracy']:.2f}")
        if args.errors:
            for text, extra, missing, got, want in result["errors"]:
                print(f"  {text}\n    addressees +{extra} -{missing}"
                      + (f"\n    deadline {got} != {want}" if got != want else ""))


if __name__ == "__main__":
    main()
