"""The page shown: stored fields, matched items and snippets, read only for the hits
on the page. Snippets are HTML: escaped text, matched words in <mark>."""
from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass

import numpy as np

from ..archive import notice_bodies
from ..normalize import fold, fold_with_offsets

MAX_ITEMS_PER_NOTICE = 2_000  # how far after a notice its items are looked for
SNIPPET_WIDTH = 240


@dataclass(frozen=True)
class MatchedItem:
    number: int | None
    label: str  # as printed: `1.`, `a)`, `Một là,`
    position: int  # 0-based: the anchor on the notice page is #item-<position + 1>
    snippet: str
    addressees: tuple[str, ...]
    deadline: dt.date | None
    deadline_text: str
    score: float


@dataclass(frozen=True)
class Hit:
    id: str
    notice_id: str
    kind: str  # notice | item
    item_number: int | None
    item_position: int | None  # an item hit's position; a notice hit's first matched item
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
    text: str  # an item's whole text; a notice's title
    source_name: str
    source_path: str
    presiding: str = ""
    signer: str = ""
    matched_items: tuple[MatchedItem, ...] = ()  # the best few, best first
    matched_count: int = 0  # how many of the notice's items match
    missing: tuple[str, ...] = ()  # query words this notice does not have (long queries)


def notice_items(snap, notice: int) -> np.ndarray:
    """The item documents of a notice document (they follow it in its segment)."""
    end = min(snap.n, notice + 1 + MAX_ITEMS_PER_NOTICE)
    following = np.arange(notice + 1, end)
    inside = snap.parent[notice + 1:end] == notice
    return following[inside & snap.live[notice + 1:end]]


def matched_item(snap, docnum: int, score: float, terms) -> MatchedItem:
    stored = snap.stored(docnum)
    return MatchedItem(number=stored.get("item_number"), label=stored.get("item_label", ""),
                       position=stored.get("item_position", 0), snippet=snippet(stored.get("text", ""), terms),
                       addressees=tuple(stored.get("addressee_list") or ()), deadline=_day(stored.get("deadline")),
                       deadline_text=stored.get("deadline_text", ""), score=round(float(score), 4))


def build_hit(snap, docnum: int, score: float, terms, matched: list[MatchedItem] = (), body: str | None = None,
              missing: tuple[str, ...] = (), matched_count: int = 0) -> Hit:
    stored = snap.stored(docnum)
    is_item = stored.get("kind") == "item"
    text = stored.get("text", "")
    if is_item:
        shown = snippet(text, terms)
    elif matched:
        shown = matched[0].snippet
    else:
        shown = snippet(body if body is not None else text, terms)
    position = stored.get("item_position") if is_item else (matched[0].position if matched else None)
    return Hit(
        id=stored["id"], notice_id=stored["notice_id"], kind=stored.get("kind", "notice"),
        item_number=stored.get("item_number"), item_position=position, score=round(float(score), 4),
        title=stored.get("title", ""), issuer=stored.get("issuer", ""), number=stored.get("number_text", ""),
        level=stored.get("level", ""), doc_type=stored.get("doc_type", ""), date=_day(stored.get("date")),
        meeting_date=_iso(stored.get("meeting_date")), issue_date=_iso(stored.get("issue_date")),
        topics=tuple(t for t in (stored.get("topics") or "").split(",") if t),
        addressees=tuple(stored.get("addressee_list") or ()) if is_item else
        tuple(a.replace(";", ",") for a in (stored.get("addressees") or "").split(",") if a),
        deadline=_day(stored.get("deadline")), deadline_text=stored.get("deadline_text", ""),
        snippet=shown, text=text, source_name=stored.get("source_name", ""), source_path=stored.get("source_path", ""),
        presiding=(stored.get("presiding") or "").replace(";", ","), signer=stored.get("signer") or "",
        matched_items=tuple(matched), matched_count=matched_count, missing=missing)


def bodies(index_path, notice_ids) -> dict[str, str]:
    """Archived texts of notices (the index keeps a notice's text as postings only)."""
    return notice_bodies(index_path.parent, notice_ids)


def _day(value) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def _iso(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _spans(text: str, terms) -> list[tuple[int, int]]:
    """(start, end) in `text` of each marked word sequence, found diacritic-insensitively."""
    folded, offsets = fold_with_offsets(text)
    spans = []
    for words in {tuple(fold(w) for w in ((t,) if isinstance(t, str) else t)) for t in terms if t}:
        pattern = r"\W+".join(re.escape(w) for w in words)
        for m in re.finditer(rf"(?<!\w){pattern}(?!\w)", folded):
            spans.append((offsets[m.start()], offsets[m.end() - 1] + 1))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def snippet(text: str, terms, width: int = SNIPPET_WIDTH, whole: bool = False) -> str:
    """The passage of `text` around the first marked words (all of it when `whole`),
    HTML-escaped, with the marked words (`terms`: word sequences) in <mark>."""
    spans = _spans(text, terms)
    if whole:
        width = len(text)
    # around the longest marked passage (a phrase rather than a lone word), else the first
    anchor = max(spans, key=lambda s: (s[1] - s[0] > 12, -s[0])) if spans else None
    start = max(0, anchor[0] - width // 3) if anchor and not whole else 0
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


def highlight(text: str, terms) -> str:
    """All of `text`, HTML-escaped, with the matched words in <mark>."""
    return snippet(text, terms, whole=True)
