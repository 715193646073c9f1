"""The abbreviations officials write (`UBND`, `GPMB`, `KT-XH`) and their full forms,
from the editable `data/abbreviations.toml`."""
from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

from .normalize import fold, normalize_line

PATH = Path(__file__).parent / "data" / "abbreviations.toml"


@lru_cache(maxsize=65536)  # a name's words are looked up word by word, the same ones again and again
def key(text: str) -> str:
    """`KT-XH`, `kt xh`, `Kt-Xh` → `kt xh`: how abbreviations are looked up."""
    return " ".join(re.findall(r"\w+", fold(normalize_line(text)).lower()))


@lru_cache(maxsize=1)
def table() -> dict[str, tuple[str, ...]]:
    """Lookup key of an abbreviation → its full forms."""
    data = tomllib.loads(PATH.read_text(encoding="utf-8"))["abbreviations"]
    return {key(abbr): tuple(normalize_line(f) for f in forms) for abbr, forms in data.items()}


@lru_cache(maxsize=1)
def by_full_form() -> dict[str, str]:
    """Lookup key of a full form → the abbreviation's key (`uy ban nhan dan` → `ubnd`)."""
    return {key(form): abbr for abbr, forms in table().items() for form in forms}
