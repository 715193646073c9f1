"""The query language: text → `ParsedQuery`, a list of clauses that each must match
(or, for long queries, most of them).

- words, with or without diacritics; a word's other forms (an abbreviation's full
  form, a full form's abbreviation) match too;
- `"a quoted phrase"`: the words next to each other; an unclosed quote is closed at
  the end of the query (with a note), not an error;
- `-word`, `-"a phrase"`: notices with it are left out;
- `a OR b`: either;
- document numbers however they are typed: `123-TB/TU`, `so:123-TB/TU`, `số 123`.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import lru_cache

from .. import abbreviations
from ..errors import BadQuery
from ..normalize import fold, normalize_line
from ..references import number_key, number_parts

MAX_QUERY_CHARS = 500
TOKEN_PATTERN = r"\w+"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_TOKEN = re.compile(r'-?"[^"]*"|\S+')
_DOC_NUMBER = re.compile(r"^\d+[-/.]?[^\W\d_]")  # 123-TB/TU, 45/TB-UBND (not a date like 30/9/2021)
LONG_QUERY = 5  # clauses; longer queries need only 75% of them
UNCLOSED_QUOTE_NOTE = "Thiếu dấu ngoặc kép đóng: đã tìm như thể cụm từ được đóng ở cuối câu."


@dataclass(frozen=True)
class Form:
    """One way of writing a clause: its words (lower case, diacritics as typed)."""
    words: tuple[str, ...]
    adjacent: bool = False  # a quoted phrase (or a number typed whole): the words together


@dataclass(frozen=True)
class Clause:
    text: str  # as typed, to say which words a hit lacks
    forms: tuple[Form, ...]  # any of them
    number_keys: tuple[str, ...] = ()  # a document number: the notice's own number matches too

    @property
    def words(self) -> tuple[str, ...]:
        return self.forms[0].words if self.forms else ()


@dataclass(frozen=True)
class ParsedQuery:
    clauses: tuple[Clause, ...]
    excluded: tuple[Clause, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.clauses and not self.excluded

    @property
    def singles(self) -> list[str]:
        """The single-word clauses in order (for the adjacency boosts)."""
        return [c.words[0] for c in self.clauses if len(c.words) == 1 and not c.number_keys]

    def minimum_should_match(self) -> int:
        """Every clause up to 5; from 6 on, 75% of them (rounded up), like
        Elasticsearch's `5<75%`: a long question in natural language holds words no
        notice has. (Clauses are syllables: five are two or three Vietnamese words.)"""
        n = len(self.clauses)
        return n if n <= LONG_QUERY else -(-3 * n // 4)


def words_of(text: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in re.findall(TOKEN_PATTERN, text))


def number_keys(number: str) -> list[str]:
    """Every key a document number is found by: `447/TB-VPCP` → 447-tb-vpcp (the whole
    number's key: `447-TB/VPCP` is the same number; see references.number_key), then
    447, tb, vpcp."""
    parts = number_parts(number)
    return list(dict.fromkeys([number_key(number), *parts])) if parts else []


def parse_query(q: str) -> ParsedQuery:
    if len(q) > MAX_QUERY_CHARS:
        raise BadQuery(f"query longer than {MAX_QUERY_CHARS} characters",
                       f"Câu truy vấn dài quá {MAX_QUERY_CHARS} ký tự.")
    q = normalize_line(_CONTROL.sub(" ", q))
    notes = []
    if q.count('"') % 2:
        q += '"'
        notes.append(UNCLOSED_QUOTE_NOTE)
    required: list[list[Clause]] = []  # each: the alternatives of one clause (`a OR b`)
    excluded: list[Clause] = []
    after_or = False
    tokens = _TOKEN.findall(q)
    for position, token in enumerate(tokens):
        if token.lower() in ("so", "số") and position + 1 < len(tokens) and tokens[position + 1][:1].isdigit():
            continue  # `so 447`: the next token is a document number
        after_so = position > 0 and tokens[position - 1].lower() in ("so", "số")
        if token == "OR":
            if not required or after_or:
                raise BadQuery("OR needs a word on each side", "Toán tử OR cần có từ ở cả hai bên.")
            after_or = True
            continue
        negative = token.startswith("-") and len(token) > 1
        body = token[1:] if negative else token
        clause = _clause(body, after_so)
        if clause is None:
            continue
        if negative:
            excluded.append(clause)
        elif after_or:
            required[-1].append(clause)
        else:
            required.append([clause])
        after_or = False
    if after_or:
        raise BadQuery("OR needs a word on each side", "Toán tử OR cần có từ ở cả hai bên.")
    clauses = [_either(group) for group in required]
    return ParsedQuery(tuple(_with_abbreviated_runs(clauses)), tuple(excluded), tuple(notes))


def _clause(body: str, after_so: bool) -> Clause | None:
    if body.lower().startswith("so:"):
        keys = number_keys(body[3:])
        return Clause(body, (), tuple(keys[:1])) if keys else None
    if after_so and body[:1].isdigit() or _DOC_NUMBER.match(body):
        keys = number_keys(body)
        words = words_of(body)
        return Clause(body, (Form(words, adjacent=len(words) > 1),), tuple(keys[:1]))
    quoted = body.startswith('"')
    words = words_of(body.strip('"'))
    if not words:
        return None
    form = Form(words, adjacent=quoted and len(words) > 1)
    return Clause(body, (form, *(Form(a) for a in alternatives(words))))


def _either(group: list[Clause]) -> Clause:
    if len(group) == 1:
        return group[0]
    return Clause(" OR ".join(c.text for c in group), tuple(f for c in group for f in c.forms),
                  tuple(k for c in group for k in c.number_keys))


def _with_abbreviated_runs(clauses: list[Clause]) -> list[Clause]:
    """In a run of single words that spells out an abbreviation's full form (`ủy ban
    nhân dân`), each word is also matched by the abbreviation (`UBND`)."""
    out, i = list(clauses), 0
    while i < len(out):
        for j in range(len(out), i + 1, -1):
            run = out[i:j]
            if not all(len(c.forms) == 1 and len(c.words) == 1 and not c.number_keys for c in run):
                continue
            words = tuple(c.words[0] for c in run)
            if abbreviations.key(" ".join(words)) in abbreviations.by_full_form():
                out[i:j] = [_abbreviated(c, alternatives(words)) for c in run]
                i = j
                break
        else:
            i += 1
    return out


def _abbreviated(clause: Clause, others: list[tuple[str, ...]]) -> Clause:
    """A word of a spelt-out full form: matched by itself or by the abbreviation."""
    forms = [clause.forms[0]] + [Form(a) for a in others if Form(a) not in clause.forms]
    return Clause(clause.text, tuple(forms), clause.number_keys)


@lru_cache(maxsize=4096)
def alternatives(words: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Other ways of writing a term: an abbreviation's full forms (`ubnd` → ủy ban
    nhân dân) or a full form's abbreviation (`giải phóng mặt bằng` → gpmb)."""
    k = abbreviations.key(" ".join(words))
    out = [words_of(full) for full in abbreviations.table().get(k, ())]
    if k in abbreviations.by_full_form():
        out.append(tuple(abbreviations.by_full_form()[k].split()))
    return [w for w in dict.fromkeys(out) if w and w != words]


def compound_words(text: str) -> list[list[str]]:
    """pyvi's word segmentation of a query, compounds only: [[mặt, bằng], [giải, phóng]].
    A notice where they stand together ranks above one where the syllables are scattered."""
    return [w.split("_") for w in _tokenizer().tokenize(text.lower()).split() if "_" in w]


def _tokenizer():
    """pyvi's ViTokenizer, imported without scikit-learn. Its model is a pickled
    sklearn_crfsuite.CRF, and sklearn_crfsuite takes its base class from scikit-learn
    when it can (nothing the tokenizer uses: a plain class otherwise). Importing
    scikit-learn and SciPy cost the server about 95 MB of its memory."""
    if "sklearn_crfsuite" not in sys.modules and "sklearn" not in sys.modules:
        sys.modules["sklearn"] = None  # `from sklearn.base import …` raises ImportError
        try:
            from pyvi import ViTokenizer
        finally:
            del sys.modules["sklearn"]
    from pyvi import ViTokenizer
    return ViTokenizer


def highlight_terms(parsed: ParsedQuery, restored: str = "") -> tuple[tuple[str, ...], ...]:
    """What to mark in a text, as word sequences: a phrase, an abbreviation's full form
    and a compound of the query (`giải phóng`, `mặt bằng`) only where their words stand
    together; other words wherever they are. So `giải phóng mặt bằng` does not mark the
    `giải` of `giải ngân`, nor `"đảng viên"` a lone `đảng`. `restored`: the query with
    its diacritics put back ("did you mean"), which word segmentation reads far better
    than `giai phong mat bang`."""
    singles = parsed.singles
    compounds = []
    if len(singles) > 1:
        plain = [fold(w) for w in singles]
        text = restored if restored and fold(restored).lower().split() == plain else " ".join(singles)
        compounds = [tuple(c) for c in compound_words(text)]
    in_compound = {fold(w) for c in compounds for w in c}
    out: list[tuple[str, ...]] = []
    if len(singles) > 1:
        out.append(tuple(singles))
    out.extend(compounds)
    for clause in parsed.clauses:
        for i, form in enumerate(clause.forms):
            if len(form.words) > 1:
                out.append(form.words)
            elif i > 0 or fold(form.words[0]) not in in_compound:
                out.append(form.words)
    return tuple(dict.fromkeys(out))
