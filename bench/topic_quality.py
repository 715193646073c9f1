"""Precision and recall of topic tagging on the hand-labelled items in tests/data/.

    python bench/topic_quality.py [--topics FILE] [--errors]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer import topics  # noqa: E402
from indexer.parse import parse  # noqa: E402
from indexer.read import read_file  # noqa: E402


DATA = ROOT / "tests" / "data"
TUNING = ("topic_labels_corpus.tsv", "topic_labels_written.tsv")  # the rules were tuned on these
HELD_OUT = ("topic_labels_heldout.tsv",)  # never used for tuning


def labelled_items(files=TUNING + HELD_OUT) -> list[tuple[str, object, int | None, set[str]]]:
    """(where, notice or text, item position or None, expected topics)."""
    out = []
    for name in files:
        out += _corpus_items(DATA / name) if "corpus" in name else _written_items(DATA / name)
    return out


def _corpus_items(path: Path) -> list:
    out, parsed = [], {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        name, notice, item, labels = (line.split("\t") + [""])[:4]
        if name not in parsed:
            parsed[name] = parse(read_file(ROOT / "corpus" / name).text)
        out.append((f"{name}#{notice}.{item}", parsed[name][int(notice)], int(item), _set(labels)))
    return out


def _written_items(path: Path) -> list:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        text, labels = (line.split("\t") + [""])[:2]
        out.append((f"{path.stem}:{n}", text, None, _set(labels)))
    return out


def _set(labels: str) -> set[str]:
    return {t.strip() for t in labels.split(",") if t.strip()}


def predictions(taxonomy: topics.Taxonomy, files=TUNING + HELD_OUT):
    """(where, text, expected, predicted) per labelled item; corpus items are tagged in
    their notice, so the title fallback is exercised as in ingestion."""
    rows = []
    for where, source, item, expected in labelled_items(files):
        if item is None:
            rows.append((where, source, expected, set(taxonomy.tag_text(source))))
        else:
            tagged = taxonomy.tag(source).items[item]
            rows.append((where, tagged.full_text, expected, set(tagged.topics)))
    return rows


def scores(rows, topic_ids) -> dict:
    per_topic = {}
    tp_all = fp_all = fn_all = 0
    for tid in topic_ids:
        tp = sum(1 for *_, e, p in rows if tid in e and tid in p)
        fp = sum(1 for *_, e, p in rows if tid not in e and tid in p)
        fn = sum(1 for *_, e, p in rows if tid in e and tid not in p)
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        per_topic[tid] = {"tp": tp, "fp": fp, "fn": fn,
                          "precision": tp / (tp + fp) if tp + fp else None,
                          "recall": tp / (tp + fn) if tp + fn else None}
    return {"items": len(rows), "topics": per_topic,
            "precision": tp_all / (tp_all + fp_all) if tp_all + fp_all else 0.0,
            "recall": tp_all / (tp_all + fn_all) if tp_all + fn_all else 0.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--topics", help="taxonomy file (default: the packaged one)")
    ap.add_argument("--errors", action="store_true", help="list every wrong or missing tag")
    args = ap.parse_args()
    taxonomy = topics.load(args.topics)
    ids = [t.id for t in taxonomy.topics]
    for label, files in (("tuning set", TUNING), ("held-out set", HELD_OUT)):
        rows = predictions(taxonomy, files)
        result = scores(rows, ids)
        print(f"{label}: {result['items']} items, precision {result['precision']:.2f}, recall {result['recall']:.2f}")
    rows = predictions(taxonomy)
    result = scores(rows, ids)
    print(f"\nall {result['items']} labelled items, {len(taxonomy.topics)} topics")
    print(f"{'topic':<24}{'P':>6}{'R':>6}{'tp':>5}{'fp':>4}{'fn':>4}")
    fmt = lambda v: "  –  " if v is None else f"{v:5.2f}"
    for tid, s in result["topics"].items():
        print(f"{tid:<24}{fmt(s['precision']):>6}{fmt(s['recall']):>6}{s['tp']:>5}{s['fp']:>4}{s['fn']:>4}")
    print(f"{'overall (micro)':<24}{result['precision']:6.2f}{result['recall']:6.2f}")
    if args.errors:
        for where, text, expected, predicted in rows:
            if expected != predicted:
                print(f"\n{where}: +{sorted(predicted - expected)} -{sorted(expected - predicted)}\n  {text[:200]}")


if __name__ == "__main__":
    main()
