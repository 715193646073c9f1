"""Parsing speed: how long `parse()` takes on 1,000 notices (the corpus samples,
repeated), on one core. Reports notices/s; compare with the bar (1,000 in < 2 s).

    python bench/parse_speed.py [N]
"""
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.normalize import canonical_tone  # noqa: E402
from indexer.parse import parse  # noqa: E402
from indexer.read import read_file  # noqa: E402


def main(n: int = 1000) -> dict:
    texts = [read_file(p).text for p in sorted((ROOT / "corpus").glob("0[01]*.txt"))]
    per_file = [len(parse(t)) for t in texts]
    # Vary each copy a little so the normaliser's word cache does not make it a replay.
    batch = []
    i = 0
    while sum(per_file[j % len(texts)] for j in range(len(batch))) < n:
        batch.append(texts[i % len(texts)].replace("2021", str(2000 + i % 25)) + f"\nGhi chú {i}.")
        i += 1
    canonical_tone.cache_clear()
    start = time.perf_counter()
    notices = sum(len(parse(t)) for t in batch)
    seconds = time.perf_counter() - start
    result = {
        "notices": notices, "seconds": round(seconds, 3), "notices_per_s": round(notices / seconds, 1),
        "bytes": sum(len(t.encode()) for t in batch), "python": platform.python_version(), "machine": platform.machine(),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
