"""Golden files: tests/golden/<sample>.json holds the fields a corpus sample must parse
into, and a `review` note saying whether a person checked them against the text.

    python tests/golden_tool.py            # show what the parser gives now, as a diff; change nothing
    python tests/golden_tool.py --write    # write the changed goldens, marked "not reviewed"

A written golden is the parser's own output: read the diff, check the changed fields
against the sample's text, then set its `review` to reviewed (with what was checked)
before committing. Exit status: 0 when every golden matches, 1 when some differ (and
were not written)."""
from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
GOLDEN = TESTS / "golden"
CORPUS = ROOT / "corpus"
sys.path.insert(0, str(ROOT))


def samples() -> list[Path]:
    """The corpus samples with a golden: the UTF-8 notices (00x, 01x) and the real
    layouts (05x: two-column and table headers, signature stamps, HĐND, news pages...)."""
    return sorted([*CORPUS.glob("0[01]*.txt"), *CORPUS.glob("05*")])


def parsed(path: Path) -> list[dict]:
    """What ingestion archives: the parsed notices, tagged with the built-in topics."""
    from indexer import topics
    from indexer.model import to_dict
    from indexer.parse import parse
    from indexer.read import read_file
    taxonomy = topics.load()
    return [to_dict(taxonomy.tag(n), include_body=False) for n in parse(read_file(path).text)]


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def dump(golden: dict) -> str:
    return json.dumps(golden, ensure_ascii=False, indent=1) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", action="store_true", help="write the goldens that differ (marked not reviewed)")
    args = ap.parse_args()
    changed = 0
    for sample in samples():
        path = GOLDEN / f"{sample.stem}.json"
        old = load(path) if path.exists() else {"review": {}, "notices": []}
        new_notices = parsed(sample)
        if new_notices == old["notices"]:
            continue
        changed += 1
        before = json.dumps(old["notices"], ensure_ascii=False, indent=1).splitlines()
        after = json.dumps(new_notices, ensure_ascii=False, indent=1).splitlines()
        sys.stdout.writelines(line + "\n" for line in difflib.unified_diff(
            before, after, f"golden/{path.name}", f"parser now: {sample.name}", lineterm=""))
        if args.write:
            review = {"status": "not reviewed", "written": dt.date.today().isoformat(),
                      "note": "regenerated from the parser's output: check the changed fields against the text"}
            path.write_text(dump({"review": review, "notices": new_notices}), encoding="utf-8")
    if changed and not args.write:
        print(f"\n{changed} golden file(s) differ from the parser; nothing written (use --write, then review)")
        return 1
    print(f"{changed} golden file(s) {'written' if args.write else 'differ'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
