"""SearchRequest → SearchResult over the index: query, filters, facets, sort, pages,
snippets. Builds queries from index.py's building blocks; never imports whoosh."""
from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field

from . import abbreviations
from . import index as ix
from .errors import BadQuery
from .normalize import fold, fold_with_offsets, has_diacritics, normalize_line

MAX_QUERY_CHARS = 500
MAX_LIMIT = 200
SORTS = ("relevance", "newest", "oldest", "deadline")
KINDS = ("item", "notice")
FACET_FIELDS = {"issuer": "issuer", "level": "level", "topic": "topics", "type": "doc_type", "year": "year",
                "addressee": "addressees"}
MULTI_VALUED = ("topics", "addressees")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_TOKEN = re.compile(r'-?"[^"]*"|\S+')
_DOC_NUMBER = re.compile(r"^\d+[-/.]?[^\W\d_]")  # 123-TB/TU, 45/TB-UBND (not a date like 30/9/2021)


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    body: str = ""
    level: str = ""
    topic: str = ""
    doc_type: str = ""
    year: int | None = None
    addressee: str = ""
    due_from: dt.date | None = None  # the item's deadline (items only)
    due_to: dt.date | None = None
    kind: str = "item"
    sort: str = "relevance"
    page: int = 1
    limit: int = 20


@dataclass(frozen=True)
class Hit:
    id: str
    notice_id: str
    kind: str
    item_number: int | None
    item_position: int | None
    score: float
    title: str
    issuer: str
    number: str
    level: str
    doc_type: str
    date: dt.date | None  # the meeting date, else the issue date
    meeting_date: dt.date | None
    issue_date: dt.date | None
    topics: tuple[str, ...]
    addressees: tuple[str, ...]
    deadline: dt.date | None
    deadline_text: str
    snippet: str  # HTML: escaped text with <mark> around matched words
    text: str  # the item's whole text (a notice: its title), plain
    source_name: str
    source_path: str


@dataclass(frozen=True)
class SearchResult:
    request: SearchRequest
    total: int
    hits: tuple[Hit, ...]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    partial: bool = False  # no hit had every word: best partial matches shown instead
    terms: tuple[str, ...] = ()
    suggestion: str = ""  # "did you mean": the query with its likely diacritics


@dataclass(frozen=True)
class _Parsed:
    required: list[list[str]]  # each: the words of a term or a quoted phrase
    excluded: list[list[str]]
    alternatives: list[list[list[str]]]  # OR groups
    numbers: list[str]
    doc_numbers: list[tuple[str, list[str]]] = field(default_factory=list)  # (number key, its words)


def parse_query(q: str) -> _Parsed:
    if len(q) > MAX_QUERY_CHARS:
        raise BadQuery(f"query longer than {MAX_QUERY_CHARS} characters",
                       f"Câu truy vấn dài quá {MAX_QUERY_CHARS} ký tự.")
    q = normalize_line(_CONTROL.sub(" ", q))
    if q.count('"') % 2:
        raise BadQuery("unclosed quotation mark", "Thiếu dấu ngoặc kép đóng.")
    required: list[list[str]] = []  # plain terms and phrases, in order
    excluded: list[list[str]] = []
    numbers: list[str] = []
    groups: list[list[list[str]]] = []  # `a OR b OR c`: the alternatives of one clause
    doc_numbers: list[tuple[str, list[str]]] = []
    after_or = False
    tokens = _TOKEN.findall(q)
    for position, token in enumerate(tokens):
        if token.lower() in ("so", "số") and position + 1 < len(tokens) and tokens[position + 1][:1].isdigit():
            continue  # `so 447`: the next token is a document number
        after_so = position > 0 and tokens[position - 1].lower() in ("so", "số")
        if token == "OR":
            if not (required or groups) or after_or:
                raise BadQuery("OR needs a word on each side", "Toán tử OR cần có từ ở cả hai bên.")
            after_or = True
            continue
        negative = token.startswith("-") and len(token) > 1
        body = token[1:] if negative else token
        if body.lower().startswith("so:"):
            numbers.extend(k for k in ix.number_keys(body[3:]).split(",") if k)
            continue
        if not negative and not after_or and (after_so and body[:1].isdigit() or _DOC_NUMBER.match(body)):
            doc_numbers.append((ix.number_keys(body).split(",")[0], _words(body)))
            continue
        words = _words(body.strip('"'))
        if not words:
            continue
        if negative:
            excluded.append(words)
        elif after_or and groups and groups[-1][-1] is last_required:
            groups[-1].append(words)  # a third (fourth...) alternative
            last_required = words
        elif after_or:
            groups.append([required.pop(), words])
            last_required = words
        else:
            required.append(words)
            last_required = words
        after_or = False
    if after_or:
        raise BadQuery("OR needs a word on each side", "Toán tử OR cần có từ ở cả hai bên.")
    return _Parsed(required, excluded, groups, numbers, doc_numbers)


def _words(text: str) -> list[str]:
    return [w.lower() for w in re.findall(ix.TOKEN_PATTERN, text)]


def _term_query(words: list[str]):
    """One term or quoted phrase: must match folded (in the text or the notice's
    header); an exact-diacritic match scores higher."""
    folded = [fold(w) for w in words]
    if len(words) == 1:
        options = [ix.Term("folded", folded[0]), ix.Term("context_folded", folded[0], boost=0.5)]
        if has_diacritics(words[0]):
            options.append(ix.Term("exact", words[0], boost=3.0))
        return ix.Or(options)
    options = [ix.Phrase("folded", folded)]
    if any(has_diacritics(w) for w in words):
        options.append(ix.Phrase("exact", words, boost=3.0))
    return ix.Or(options)


def compound_words(text: str) -> list[list[str]]:
    """pyvi's word segmentation of a query, compounds only: [[mặt, bằng], [giải, phóng]].
    An item where they stand together ranks above one where the syllables are scattered."""
    from pyvi import ViTokenizer
    return [w.split("_") for w in ViTokenizer.tokenize(text.lower()).split() if "_" in w]


def _alternatives(words: list[str]) -> list[list[str]]:
    """Other ways of writing a term: an abbreviation's full forms (`ubnd` → ủy ban
    nhân dân) or a full form's abbreviation (`giải phóng mặt bằng` → gpmb)."""
    k = abbreviations.key(" ".join(words))
    out = [_words(full) for full in abbreviations.table().get(k, ())]
    if k in abbreviations.by_full_form():
        out.append(abbreviations.by_full_form()[k].split())
    return [w for w in out if w and w != words]


def _clause(words: list[str], broad: bool = False):
    alternatives = _alternatives(words)
    base = _term_query(words)
    return ix.Or([base] + [_alternative_query(a, broad) for a in alternatives]) if alternatives else base


def _alternative_query(words: list[str], broad: bool):
    """A term's other form (`ủy ban nhân dân` for `UBND`). In a broad query its words
    need only all be there, not in order: checking the positions of a phrase found in
    most documents costs seconds, and in these texts the words together are the phrase."""
    if broad and len(words) > 1:
        return ix.And([_term_query([w]) for w in words])
    return _term_query(words)


def _required_clauses(required: list[list[str]], broad: bool = False) -> list:
    """One clause per term; a run of single words that spells out an abbreviation's full
    form (`ủy ban nhân dân`) may also match the abbreviation (`UBND`)."""
    clauses, i = [], 0
    while i < len(required):
        for j in range(len(required), i + 1, -1):
            run = required[i:j]
            if all(len(w) == 1 for w in run) and abbreviations.key(" ".join(w[0] for w in run)) in abbreviations.by_full_form():
                words = [w[0] for w in run]
                clauses.append(ix.Or([ix.And([_term_query(w) for w in run]),
                                      *[_alternative_query(a, broad) for a in _alternatives(words)]]))
                i = j
                break
        else:
            clauses.append(_clause(required[i], broad))
            i += 1
    return clauses


def build_query(parsed: _Parsed, every_word: bool = True, proximity: bool = True):
    """`proximity`: add the phrase and compound boosts (they cost a position check on
    every matching document, so very broad queries go without)."""
    clauses = _required_clauses(parsed.required, broad=not proximity)
    clauses += [ix.Or([_clause(w, not proximity) for w in group]) for group in parsed.alternatives]
    clauses += [ix.Term("number", n, boost=2.0) for n in parsed.numbers]
    # A bare document number is the notice's own number, or one cited in the text.
    clauses += [ix.Or([ix.Term("number", key, boost=2.0), _term_query(words)]) for key, words in parsed.doc_numbers]
    if not clauses:
        main = ix.Every()
    elif every_word:
        main = ix.And(clauses)
    else:
        main = ix.Or(clauses)
    singles = [w[0] for w in parsed.required if len(w) == 1]
    if len(singles) > 1 and proximity:
        boosts = [ix.Phrase("folded", [fold(w) for w in singles], boost=2.0)]
        if any(has_diacritics(w) for w in singles):
            boosts.append(ix.Phrase("exact", singles, boost=4.0))
        for compound in compound_words(" ".join(singles)):
            boosts.append(ix.Phrase("folded", [fold(w) for w in compound], boost=1.5))
            if any(has_diacritics(w) for w in compound):
                boosts.append(ix.Phrase("exact", compound, boost=2.0))
        main = ix.AndMaybe(main, ix.Or(boosts))  # phrase/compound matches only add to the score
    if parsed.excluded:
        main = ix.And([main] + [ix.Not(_term_query(w)) for w in parsed.excluded])
    return main


def _filter(request: SearchRequest):
    clauses = [ix.Term("kind", request.kind)]
    for fieldname, start, end in (("date", request.date_from, request.date_to),
                                  ("deadline", request.due_from, request.due_to)):
        if start or end:
            clauses.append(ix.DateRange(fieldname, start and dt.datetime.combine(start, dt.time.min),
                                        end and dt.datetime.combine(end, dt.time.max)))
    for value, fieldname in ((request.body, "issuer"), (request.level, "level"), (request.topic, "topics"),
                             (request.doc_type, "doc_type"), (request.addressee, "addressees")):
        if value:
            clauses.append(ix.Term(fieldname, value.replace(",", ";") if fieldname == "addressees" else value))
    if request.year:
        clauses.append(ix.NumericRange("year", request.year, request.year))
    return ix.And(clauses)


def validate(request: SearchRequest) -> None:
    if request.sort not in SORTS:
        raise BadQuery(f"unknown sort '{request.sort}'", f"Cách sắp xếp '{request.sort}' không hợp lệ.")
    if request.kind not in KINDS:
        raise BadQuery(f"unknown result kind '{request.kind}'", f"Loại kết quả '{request.kind}' không hợp lệ.")
    if not 1 <= request.limit <= MAX_LIMIT:
        raise BadQuery(f"limit must be between 1 and {MAX_LIMIT}", f"Số kết quả mỗi trang phải từ 1 đến {MAX_LIMIT}.")
    if not 1 <= request.page <= 10_000:
        raise BadQuery("page must be a positive number", "Số trang phải là số dương.")
    if request.date_from and request.date_to and request.date_from > request.date_to:
        raise BadQuery("the start date is after the end date", "Ngày bắt đầu sau ngày kết thúc.")
    if request.due_from and request.due_to and request.due_from > request.due_to:
        raise BadQuery("the deadline window starts after it ends", "Khoảng thời hạn có ngày bắt đầu sau ngày kết thúc.")


def search(index: "ix.Index", request: SearchRequest) -> SearchResult:
    validate(request)
    parsed = parse_query(request.q)
    terms = _highlight_terms(parsed)
    filt = _filter(request)
    with index.reading() as searcher:
        allowed = index.filter_docs(searcher, filt)
        if not allowed:  # whoosh would read an empty filter as no filter at all
            suggestion = suggest(searcher, request.q, misspelt=True)
            return SearchResult(request, 0, (), {name: {} for name in FACET_FIELDS}, False, terms, suggestion)
        if not (parsed.required or parsed.alternatives or parsed.numbers or parsed.doc_numbers or parsed.excluded):
            return _browse(index, searcher, allowed, request, terms)
        proximity = not _broad(searcher, parsed, len(allowed))
        page, partial = _run(searcher, build_query(parsed, proximity=proximity), allowed, request), False
        if page.total == 0 and len(parsed.required) > 1:
            page, partial = _run(searcher, build_query(parsed, every_word=False, proximity=proximity), allowed,
                                 request), True
        hits = tuple(_hit(h, terms) for h in page) if page.pagenum == request.page else ()
        matched = page.results.docs()
        facets = {name: _facet_counts(page.results, name) if fieldname not in MULTI_VALUED
                  else _sorted_counts(index.value_counts(searcher, fieldname, matched), name)
                  for name, fieldname in FACET_FIELDS.items()}
        suggestion = suggest(searcher, request.q, misspelt=page.total == 0 or partial)
        return SearchResult(request, page.total, hits, facets, partial, terms, suggestion)


BROAD_SHARE = 0.2  # a query whose rarest word is in more than this share of documents is broad


def _broad(searcher, parsed: _Parsed, allowed: int) -> bool:
    """Every word of the query is in a large share of the documents (`ủy ban nhân dân`):
    nearly every document matches, and checking word positions in all of them would
    cost seconds while changing little of the ranking."""
    singles = [w for w in parsed.required if len(w) == 1]
    if len(singles) < 2 or allowed < 5_000:
        return False
    rarest = min(_frequency(searcher, w) for w in singles)
    return rarest > BROAD_SHARE * searcher.doc_count_all()


def _frequency(searcher, words: list[str]) -> int:
    """Documents a term may match, at most: with those its other forms may match
    (`UBND` is also every `ủy ban nhân dân`, bounded by its rarest word)."""
    count = ix.doc_frequency(searcher, "folded", fold(" ".join(words)))
    for form in _alternatives(words):
        count += min(ix.doc_frequency(searcher, "folded", fold(w)) for w in form)
    return count


def _browse(index, searcher, allowed: set[int], request: SearchRequest, terms) -> SearchResult:
    """Filters and sort without words (browsing): every allowed document matches, so
    the page, total and facets come from cached tables instead of a scoring pass over
    all of them."""
    if request.sort == "relevance":
        ordered = sorted(allowed)
    else:
        fieldname, reverse = _sort_order(request)
        values = index.column_values(searcher, fieldname)
        ordered = sorted(allowed, key=lambda d: values[d], reverse=reverse)
    start = (request.page - 1) * request.limit
    hits = tuple(_hit(_StoredHit(searcher.stored_fields(d)), terms) for d in ordered[start:start + request.limit])
    facets = {name: _sorted_counts(index.value_counts(searcher, fieldname, allowed), name)
              for name, fieldname in FACET_FIELDS.items()}
    return SearchResult(request, len(allowed), hits, facets, False, terms, "")


class _StoredHit(dict):
    """Stored fields shaped like a whoosh hit, for `_hit`."""
    score = 0.0


def _sort_order(request: SearchRequest) -> tuple[str, bool]:
    """(sortable field, reverse) of a sort other than relevance."""
    if request.sort == "deadline":
        return "deadline", False
    return "date", request.sort == "newest"


def _run(searcher, query, filt, request: SearchRequest):
    sortedby, reverse = _sort_order(request) if request.sort != "relevance" else (None, False)
    groupedby = {name: ix.FieldFacet(fieldname, maptype=ix.FacetMap)
                 for name, fieldname in FACET_FIELDS.items() if fieldname not in MULTI_VALUED}
    return searcher.search_page(query, request.page, pagelen=request.limit, filter=filt,
                                sortedby=sortedby, reverse=reverse, groupedby=groupedby)


def _facet_counts(results, name: str) -> dict[str, int]:
    try:
        groups = results.groups(name)
    except KeyError:
        return {}
    return _sorted_counts(groups, name)


def _sorted_counts(counts: dict, name: str) -> dict[str, int]:
    counts = {str(k): v for k, v in counts.items() if k not in (None, "")}
    if name == "addressee":  # commas in names were stored as semicolons (keyword lists)
        counts = {k.replace(";", ","): v for k, v in counts.items()}
    if name == "year":  # whoosh files documents without a year under the column's sentinel (2³¹-1)
        counts = {k: v for k, v in counts.items() if k.isdigit() and int(k) < 10_000}
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _hit(hit, terms: tuple[str, ...]) -> Hit:
    date, deadline = hit.get("date"), hit.get("deadline")
    return Hit(
        id=hit["id"], notice_id=hit["notice_id"], kind=hit["kind"], item_number=hit.get("item_number"),
        item_position=hit.get("item_position"), score=round(hit.score or 0.0, 4),
        title=hit.get("title", ""), issuer=hit.get("issuer", ""), number=hit.get("number_text", ""),
        level=hit.get("level", ""), doc_type=hit.get("doc_type", ""), date=date.date() if date else None,
        meeting_date=_iso(hit.get("meeting_date")), issue_date=_iso(hit.get("issue_date")),
        topics=tuple(t for t in (hit.get("topics") or "").split(",") if t),
        addressees=tuple(hit.get("addressee_list") or ()),
        deadline=deadline.date() if deadline else None, deadline_text=hit.get("deadline_text", ""),
        snippet=snippet(hit.get("text", ""), terms), text=hit.get("text", ""), source_name=hit.get("source_name", ""),
        source_path=hit.get("source_path", ""),
    )


def _iso(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def snippet(text: str, terms: tuple[str, ...], width: int = 240, whole: bool = False) -> str:
    """The passage of `text` around the first matched word (all of it when `whole`),
    HTML-escaped, matched words (found diacritic-insensitively) wrapped in <mark>."""
    folded, offsets = fold_with_offsets(text)
    spans = []
    for term in {fold(t) for t in terms if t}:
        for m in re.finditer(rf"(?<!\w){re.escape(term)}(?!\w)", folded):
            spans.append((offsets[m.start()], offsets[m.end() - 1] + 1))
    spans.sort()
    if whole:
        width = len(text)
    start = max(0, spans[0][0] - width // 3) if spans and not whole else 0
    end = min(len(text), start + width)
    if start > 0:
        start = text.rfind(" ", 0, start) + 1
    out, pos = [], start
    for s, e in spans:
        if s < pos or e > end:
            continue
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:end]))
    return ("…" if start > 0 else "") + "".join(out) + ("…" if end < len(text) else "")


_PLAIN_WORD = re.compile(r"[a-z]+")


def suggest(searcher, q: str, misspelt: bool = False) -> str:
    """For a query typed without diacritics, its most likely diacritised form according
    to the archive itself (`giai phong mat bang` → `giải phóng mặt bằng`). When the
    query found nothing (`misspelt`), words the archive does not have are first
    replaced by the closest ones it has (`giai phong mat bnag`). "" when there is
    nothing better to offer."""
    if not q or len(q) > MAX_QUERY_CHARS:
        return ""
    tokens = re.findall(r"\S+", _CONTROL.sub(" ", q))
    changed = False
    if misspelt:
        tokens, changed = _corrected(searcher, tokens)
    if has_diacritics(" ".join(tokens)):
        return " ".join(tokens) if changed else ""
    words = [t.lower() for t in tokens]
    if not any(_PLAIN_WORD.fullmatch(w) for w in words):
        return ""
    choice = _best_spelling(searcher, words)
    suggestion = " ".join(c or t for c, t in zip(choice, tokens))
    if changed:
        return suggestion
    return suggestion if has_diacritics(suggestion) and fold(suggestion).lower() == fold(q).lower() else ""


def _corrected(searcher, tokens: list[str]) -> tuple[list[str], bool]:
    """Each plain word the archive lacks, replaced by its most common close word."""
    out, changed = [], False
    for token in tokens:
        word = fold(token).lower()
        if len(word) >= 3 and _PLAIN_WORD.fullmatch(word) and not ix.spelling_counts(searcher, word):
            close = ix.close_words(searcher, word, maxdist=2)
            ranked = sorted((_edit_distance(word, w), -n, w) for w, n in close.items())
            if ranked and ranked[0][0] <= (1 if len(word) < 5 else 2):
                token = ranked[0][2]
                changed = True
        out.append(token)
    return out, changed


def _written_forms(searcher, word: str) -> dict[str, int]:
    """The ways the archive writes a word, without the all-capitals forms of headings
    (`ĐẢNG ỦY`) unless there is nothing else."""
    forms = ix.spelling_counts(searcher, word)
    mixed = {f: n for f, n in forms.items() if not (f.isupper() and len(f) > 1)}
    return mixed or forms


def _edit_distance(a: str, b: str) -> int:
    """Edits between two words, a swap of neighbours counting as one (`bnag` → `bang`)."""
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, prev2[j - 2] + 1)
            row.append(cost)
        prev2, prev = prev, row
    return prev[-1]


def _best_spelling(searcher, words: list[str]) -> list[str | None]:
    """Viterbi over each word's written forms, scored by how many notices write the
    form (unigram) and the pair with the previous word (bigram)."""
    import math
    options = [_written_forms(searcher, w) if _PLAIN_WORD.fullmatch(w) else {} for w in words]
    best: dict[str | None, tuple[float, list]] = {None: (0.0, [])}
    for i, forms in enumerate(options):
        if not forms:
            best = {None: (max(score for score, _ in best.values()),
                           max(best.values(), key=lambda v: v[0])[1] + [None])}
            continue
        pairs = ix.spelling_counts(searcher, f"{words[i - 1]} {words[i]}") if i and options[i - 1] else {}
        new: dict[str | None, tuple[float, list]] = {}
        for form, count in forms.items():
            candidates = []
            for prev, (score, path) in best.items():
                together = pairs.get(f"{prev} {form}", 0) if prev else 0
                candidates.append((score + math.log1p(count) + 3 * math.log1p(together), path + [form]))
            new[form] = max(candidates, key=lambda c: c[0])
        best = new
    return max(best.values(), key=lambda v: v[0])[1]


def highlight(text: str, terms: tuple[str, ...]) -> str:
    """All of `text`, HTML-escaped, with the matched words in <mark>."""
    return snippet(text, terms, whole=True)


def query_terms(q: str) -> tuple[str, ...]:
    """The words of a query to highlight; none for a query that does not parse."""
    try:
        return _highlight_terms(parse_query(q))
    except BadQuery:
        return ()


def _highlight_terms(parsed: _Parsed) -> tuple[str, ...]:
    """The query's words and those of their abbreviations or full forms."""
    phrases = parsed.required + [words for group in parsed.alternatives for words in group]
    singles = [w[0] for w in parsed.required if len(w) == 1]
    terms = [w for words in phrases for w in words]
    for words in phrases + ([singles] if len(singles) > 1 else []):
        terms += [w for alternative in _alternatives(words) for w in alternative]
    return tuple(dict.fromkeys(terms))


def result_to_dict(result: SearchResult) -> dict:
    """The JSON form shared by the CLI and the web API."""
    from .model import to_dict
    return {
        "total": result.total,
        "partial": result.partial,
        "page": result.request.page,
        "limit": result.request.limit,
        "pages": max(1, -(-result.total // result.request.limit)),
        "hits": [to_dict(h) for h in result.hits],
        "facets": result.facets,
        "suggestion": result.suggestion or None,
    }
