"""Names of issuing bodies and addressees: canonical casing, abbreviations, level.

`canonical_body("THỊ ỦY BẾN CÁT")` → `Thị ủy Bến Cát`; `canonical_body("UBND thị xã")`
→ `Ủy ban nhân dân thị xã`; `body_level("Ban Thường vụ Thị ủy")` → `thị xã`."""
from __future__ import annotations

import re
from functools import lru_cache

from . import abbreviations
from .normalize import fold, has_diacritics, normalize_line

# Canonical spellings of organisation words, longest first when matched.
ORG_PHRASES = [
    "Ban Chấp hành Trung ương", "Bộ Chính trị", "Ban Bí thư", "Ban Thường vụ", "Ban Chấp hành",
    "Thường trực", "Tỉnh ủy", "Thành ủy", "Thị ủy", "Huyện ủy", "Quận ủy", "Đảng ủy", "Đảng bộ",
    "Đảng đoàn", "Ban cán sự đảng", "Chi bộ", "Ủy ban nhân dân", "Hội đồng nhân dân",
    "Ủy ban Mặt trận Tổ quốc Việt Nam", "Ủy ban Mặt trận Tổ quốc", "Mặt trận Tổ quốc Việt Nam",
    "Mặt trận Tổ quốc", "Văn phòng Chính phủ", "Chính phủ", "Văn phòng", "Ban Tuyên giáo",
    "Ban Tổ chức", "Ban Dân vận", "Ban Nội chính", "Ủy ban Kiểm tra", "Công an", "Quân sự",
    "Bộ Chỉ huy Quân sự", "Ban Chỉ huy Quân sự", "Đoàn Thanh niên Cộng sản Hồ Chí Minh",
    "Hội Liên hiệp Phụ nữ", "Hội Nông dân", "Hội Cựu chiến binh", "Liên đoàn Lao động",
    "Trung tâm Chính trị", "Ban Quản lý dự án", "Ban Chỉ đạo", "Tổ công tác",
    "Tỉnh đoàn", "Thành đoàn", "Thị đoàn", "Huyện đoàn", "Quận đoàn",
]
# `UBND` → `Ủy ban nhân dân`, `TC-KH` → `tài chính - kế hoạch`: abbreviations of the
# shared, editable list written as one word (joined by `-` or `&` at most).
ABBREVIATIONS = {k: forms[0] for k, forms in abbreviations.table().items()}
# Level words; the words after one (or after a `... ủy`) are a place name.
LEVEL_WORDS = ["thành phố", "thị xã", "thị trấn", "tỉnh", "huyện", "quận", "xã", "phường"]
PLACE_AFTER = {"tinh uy", "thanh uy", "thi uy", "huyen uy", "quan uy"}
GENERIC_PLACE = {"trực thuộc", "các", "và", "có", "liên quan", "cùng cấp"}

_PHRASES = sorted(((fold(p).split(), p.split()) for p in ORG_PHRASES + LEVEL_WORDS),
                  key=lambda pair: -len(pair[0]))

# (pattern over folded name, level); first match wins.
_LEVEL_RULES = [
    (r"\b(trung uong|bo chinh tri|ban bi thu|chinh phu|quoc hoi)\b|^bo\b", "trung ương"),
    (r"(?<!thi )\bxa\b(?! hoi)", "xã"),
    (r"\bphuong\b", "phường"),
    (r"\bthi tran\b", "thị trấn"),
    (r"\b(thi uy|thi xa)\b", "thị xã"),
    (r"\b(huyen uy|huyen)\b", "huyện"),
    (r"\b(quan uy)\b|(?<!co )\bquan\b(?! (su|ly|tam|triet|diem|he))", "quận"),  # `cơ quan`: an agency
    (r"\b(thanh uy|thanh pho)\b", "thành phố"),
    (r"\b(tinh uy|tinh)\b", "tỉnh"),
    (r"\b(dang uy|dang bo|chi bo)\b", "cơ sở"),
]


def _title_word(word: str) -> str:
    return word[:1].upper() + word[1:].lower() if word else word


def expand_abbreviations(name: str) -> str:
    words = []
    for word in name.split():
        key = abbreviations.key(word.strip(".,;:"))
        words.append(ABBREVIATIONS.get(key, word) if word.isupper() or key in ("ubnd", "hdnd") else word)
    return " ".join(words)


# Words that are other words without their diacritics, even in a body's name: in a name
# written with diacritics, `QUAN` is `quan` (`CƠ QUAN`), not the level `quận`.
_PLAIN_WORDS = frozenset({"quan"})


def _same_words(words: list[str], folded: list[str], key: list[str], canon: list[str], marked: bool) -> bool:
    """Words equal to a phrase: with their diacritics when they have any (`Quản` is not
    `quận`), by the folded form when typed without (`UBND huyen`, and OCR's `HUYEN` in
    a header that kept its other marks), but for `_PLAIN_WORDS` in a name written with
    diacritics (`marked`). A phrase of three words or more may have one word's marks
    misread (OCR: `ỦY BẠN NHÂN DÂN`)."""
    if folded != key:
        return False
    misread = sum(1 for w, f, c in zip(words, folded, canon) if w.lower() != c.lower()
                  and (has_diacritics(w) or marked and f.lower() in _PLAIN_WORDS))
    return misread == 0 or (misread == 1 and len(key) >= 3)


@lru_cache(maxsize=8192)  # the same few hundred bodies come back in every notice
def canonical_body(name: str) -> str:
    """Canonical spelling of an organisation's name (see module docstring)."""
    name = normalize_line(name).strip(" ,;:.-")
    if not name:
        return ""
    shouting = name.isupper()
    marked = has_diacritics(name)
    words = expand_abbreviations(name).split()
    folded = [fold(w) for w in words]
    out: list[str] = []
    i = 0
    place_mode = False
    agency = _agency_head(folded)
    if agency:  # `SỞ NÔNG NGHIỆP VÀ PTNT` → `Sở Nông nghiệp và Phát triển nông thôn`
        out.extend(agency)
        i = len(agency)
        i = _agency_field(words, folded, i, out)
    while i < len(words):
        for key, canon in _PHRASES:
            if _same_words(words[i:i + len(key)], folded[i:i + len(key)], key, canon, marked) and \
                    (shouting or words[i][:1].isupper()):
                out.extend(canon)
                i += len(key)
                place_mode = " ".join(key) in PLACE_AFTER or " ".join(canon) in LEVEL_WORDS
                break
        else:
            word = words[i]
            if place_mode and fold(word) not in GENERIC_PLACE:
                out.append(_title_word(word) if word.isupper() or word.islower() else word)
            else:
                place_mode = False
                out.append(word.lower() if word.isupper() and len(word) > 1 else word)
            i += 1
    text = " ".join(out)
    return text[:1].upper() + text[1:]


# An agency's first words (folded): what follows is its field (`Nông nghiệp và Phát triển nông thôn`).
AGENCY_HEADS = {("so",): ["Sở"], ("phong",): ["Phòng"], ("chi", "cuc"): ["Chi", "cục"], ("cuc",): ["Cục"]}


def _agency_head(folded: list[str]) -> list[str]:
    for key, canon in AGENCY_HEADS.items():
        if [f.lower() for f in folded[:len(key)]] == list(key):
            return canon
    return []


LEVEL_FIRST_WORDS = {fold(level.split()[0]) for level in LEVEL_WORDS}  # `tinh`, `thanh`, …


def _agency_field(words: list[str], folded: list[str], i: int, out: list[str]) -> int:
    """An agency's field as officials spell it: a capital on its first word and on the
    first word after `và`, a dash or a comma (`Lao động - Thương binh và Xã hội`, `Văn
    hóa, Thể thao và Du lịch`), other words lower case; a name already written that way
    is kept. Stops at a level word (`tỉnh`), unless a field's part begins with it (`và
    Xã hội`)."""
    after_break = True
    while i < len(words):
        word, key = words[i], folded[i].lower()
        if key in LEVEL_FIRST_WORDS and not after_break:
            break
        if word.isupper() or word.islower():
            word = _title_word(word) if after_break and key not in ("va", "-", "–") else word.lower()
        out.append(word)
        after_break = key in ("va", "-", "–") or word.endswith(",")
        i += 1
    return i


@lru_cache(maxsize=8192)
def canonical_addressee(name: str) -> str:
    """The name of a body an item is assigned to, as one spelling: abbreviations
    expanded (`UBND thị xã` = `Ủy ban nhân dân thị xã`), a leading `đồng chí` dropped
    (the role is what is assigned), a capital first letter."""
    name = re.sub(r"^đồng chí\s+", "", normalize_line(name).strip(" ,;:.-"), flags=re.IGNORECASE)
    return canonical_body(name) if name else ""


@lru_cache(maxsize=8192)  # the same issuing bodies in notice after notice
def body_level(name: str) -> str:
    """Administrative level of a body, from the words in its name ('' if unknown)."""
    folded = fold(expand_abbreviations(name))
    for pattern, level in _LEVEL_RULES:
        if re.search(pattern, folded):
            return level
    return ""


def place_name(canonical: str) -> str:
    """The place in a canonical body name: `Thị ủy Bến Cát` → `Bến Cát`."""
    words = canonical.split()
    folded = [fold(w) for w in words]
    for i in range(len(words)):
        pair = " ".join(folded[i:i + 2])
        if pair in PLACE_AFTER or pair in {fold(l) for l in LEVEL_WORDS}:
            rest = words[i + 2:]
        elif folded[i] in {"tinh", "huyen", "quan", "xa", "phuong"}:
            rest = words[i + 1:]
        else:
            continue
        if rest and rest[0][:1].isupper():
            return " ".join(rest)
    return ""
