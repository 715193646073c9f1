"""The legacy Vietnamese font encodings old office files still use.

TCVN3 (ABC, TCVN 5712:1993 VN3): one byte per letter. Only the seven shaped capitals
have their own codes; capitals with tones were typed in an upper-case font (.VnTimeH)
with the lower-case codes, so they decode to lower case — the words stay searchable.

VNI (VNI-Windows): a base letter followed by one modifier byte for shape and tone
(`aø` = à, `aâ` = â, `aá` = ấ), with a few single-byte letters (ô = ơ, ö = ư, ñ = đ).

Both are tables of data below; `encode_*` exist so tests can round-trip every letter."""
from __future__ import annotations

import re
import unicodedata

# TCVN3 byte (as a Latin-1 character) → Unicode letter.
TCVN3_TABLE = dict(zip(
    "µ¸¶·¹" "¨»¾¼½Æ" "©ÇÊÈÉË" "®ÌÐÎÏÑ" "ªÒÕÓÔÖ" "×ÝØÜÞ" "ßãáâä" "«åèæçé" "¬êíëìî" "ïóñòô" "\xadõøö÷ù" "úýûüþ"
    "¡¢§£¤¥¦",
    "àáảãạ" "ăằắẳẵặ" "âầấẩẫậ" "đèéẻẽẹ" "êềếểễệ" "ìíỉĩị" "òóỏõọ" "ôồốổỗộ" "ơờớởỡợ" "ùúủũụ" "ưừứửữự" "ỳýỷỹỵ"
    "ĂÂĐÊÔƠƯ",
))

# VNI modifier bytes (lower case; upper-case letters use the upper-case byte).
_TONES = ["", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"]  # none sắc huyền hỏi ngã nặng
VNI_TONE = dict(zip(_TONES, ["", "ù", "ø", "û", "õ", "ï"]))
VNI_CIRCUMFLEX = dict(zip(_TONES, ["â", "á", "à", "å", "ã", "ä"]))
VNI_BREVE = dict(zip(_TONES, ["ê", "é", "è", "ú", "ü", "ë"]))
VNI_I = dict(zip(_TONES, ["i", "í", "ì", "æ", "ó", "ò"]))
VNI_SINGLE = {"ơ": "ô", "ư": "ö", "đ": "ñ", "ỵ": "î"}

VIETNAMESE_LETTERS = sorted({
    unicodedata.normalize("NFC", base + tone)
    for base in "aăâeêioôơuưy"
    for tone in _TONES
} | {"đ"})


def _vni_lower(letter: str) -> str:
    if letter in VNI_SINGLE:
        return VNI_SINGLE[letter]
    decomposed = unicodedata.normalize("NFD", letter)
    base, marks = decomposed[0], decomposed[1:]
    tone = next((m for m in marks if m in _TONES[1:]), "")
    if base == "i":
        return VNI_I[tone]
    if "\u0302" in marks:
        return base + VNI_CIRCUMFLEX[tone]
    if "\u0306" in marks:
        return base + VNI_BREVE[tone]
    if "\u031b" in marks:
        return VNI_SINGLE[{"o": "ơ", "u": "ư"}[base]] + VNI_TONE[tone]
    return base + VNI_TONE[tone]


def _vni_table() -> dict[str, str]:
    table = {}
    for letter in VIETNAMESE_LETTERS:
        lower = _vni_lower(letter)
        table[letter] = lower
        table[letter.upper()] = lower.upper()
    return table


VNI_ENCODE = _vni_table()
VNI_DECODE = {code: letter for letter, code in VNI_ENCODE.items() if code != letter}
_VNI_PATTERN = re.compile("|".join(re.escape(c) for c in sorted(VNI_DECODE, key=len, reverse=True)))
_TCVN3_ENCODE = {v: k for k, v in TCVN3_TABLE.items()}
_TCVN3_BYTES = set(TCVN3_TABLE)


_TCVN3_TRANSLATION = str.maketrans(TCVN3_TABLE)


def decode_tcvn3(data: bytes) -> str:
    text = data.decode("latin-1").translate(_TCVN3_TRANSLATION)
    lines = [line.upper() if _is_shouted_line(line) else _SHOUTED_WORD.sub(lambda m: m.group(0).upper(), line)
             for line in text.split("\n")]
    return "\n".join(lines)


_NOT_ASCII_LETTER = re.compile(r"[^A-Za-z]+")


def _is_shouted_line(line: str) -> bool:
    ascii_letters = _NOT_ASCII_LETTER.sub("", line)
    return len(ascii_letters) >= 3 and ascii_letters.isupper()


# A word typed in an upper-case TCVN3 font: a capital after its first letter, no ASCII
# lower case, and toned letters that decoded to lower case (`THôNG` → `THÔNG`, `ủY`).
_SHOUTED_WORD = re.compile(r"\b(?!\w*[a-z])\w+[A-Z]\w*\b")


def encode_tcvn3(text: str) -> bytes:
    """As an upper-case TCVN3 font stores it: a toned capital takes its lower-case code."""
    return "".join(_TCVN3_ENCODE.get(ch) or _TCVN3_ENCODE.get(ch.lower(), ch)
                   for ch in unicodedata.normalize("NFC", text)).encode("latin-1")


def decode_vni(data: bytes) -> str:
    return _VNI_PATTERN.sub(lambda m: VNI_DECODE[m.group(0)], data.decode("cp1252", errors="replace"))


def encode_vni(text: str) -> bytes:
    return "".join(VNI_ENCODE.get(ch, ch) for ch in unicodedata.normalize("NFC", text)).encode("cp1252")


_BELOW_A1 = bytes(range(0xA1))
_HIGH_NOT_TCVN3 = bytes(b for b in range(0xA1, 0x100) if chr(b) not in _TCVN3_BYTES)


def looks_like_tcvn3(data: bytes) -> bool:
    high = data.translate(None, _BELOW_A1)  # the bytes from 0xA1 up
    return bool(high) and len(high.translate(None, _HIGH_NOT_TCVN3)) / len(high) > 0.9


def looks_like_vni(data: bytes) -> bool:
    text = data.decode("latin-1")
    pairs = len(re.findall(r"[aeiouyAEIOUY][ùøûõïâáàåãäêéèúüëÙØÛÕÏÂÁÀÅÃÄÊÉÈÚÜË]", text))
    return pairs >= 3
