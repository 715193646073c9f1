"""How well references to other documents are found: precision and recall of the
(type, number) pairs, and of the matched ones, how many have the right date and
issuer.

    python bench/reference_quality.py [--errors]

The set is bench/eval/references.json: passages and their references labelled by hand
before the extractor existed, never tuned on. `--errors` lists what was missed or
wrong (reading it is looking at the held-out set: say so if you change the extractor
after).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.references import find_references, number_key  # noqa: E402

LABELS = ROOT / "bench" / "eval" / "references.json"


def judge(passages: list[dict]) -> dict:
    counts = dict(expected=0, found=0, right=0, date_right=0, issuer_right=0)
    errors = []
    for passage in passages:
        expected = {number_key(r["number"]): r for r in passage["references"]}
        found = {number_key(r.number): r for r in find_references(passage["text"])}
        counts["expected"] += len(expected)
        counts["found"] += len(found)
        for key in expected.keys() | found.keys():
            want, got = expected.get(key), found.get(key)
            if want and got and want["doc_type"] == got.doc_type:
                counts["right"] += 1
                date_ok = (want["date"] or None) == (got.date.isoformat() if got.date else None)
                issuer_ok = want["issuer"] == got.issuer
                counts["date_right"] += date_ok
                counts["issuer_right"] += issuer_ok
                if date_ok and issuer_ok:
                    continue
            errors.append((want, got and dict(doc_type=got.doc_type, number=got.number,
                                              date=got.date.isoformat() if got.date else None, issuer=got.issuer)))
    return {**counts, "errors": errors}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list what was missed or wrong")
    args = parser.parse_args()
    result = judge(json.loads(LABELS.read_text(encoding="utf-8"))["passages"])
    right, found, expected = result["right"], result["found"], result["expected"]
    print(f"held-out references ({LABELS.relative_to(ROOT)}): {expected} labelled, {found} found")
    print(f"  precision {right / max(found, 1):.2f}  recall {right / max(expected, 1):.2f}  (type and number)")
    print(f"  of the {right} found right: date right {result['date_right']}, issuer right {result['issuer_right']}")
    if args.errors:
        for want, got in result["errors"]:
            print(f"  expected {want}\n  found    {got}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
