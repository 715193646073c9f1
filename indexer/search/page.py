"""The page shown: stored fields, matched items and snippets, read only for the hits
on the page. Snippets are HTML: escaped text, matched words in <mark>."""
from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass

import numpy as np

from ..archive import Copy, StoredNotice, read_notices
from ..model import Item, Notice
from ..normalize import fold, fold_with_offsets

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
    copies: tuple[Copy, ...] = ()  # other archived files holding the same notice


def notice_items(snap, notice: int) -> np.ndarray:
    """The item documents of a notice document (they follow it in its segment)."""
    units = snap.text_units(np.array([notice]))
    return units[units != notice]


@dataclass(frozen=True)
class Shown:
    """What a hit shows of a document: its notice as archived, and which item."""
    id: str
    notice_id: str
    kind: str
    stored: StoredNotice | None
    item: Item | None
    position: int | None  # an item's, 0-based


def read_shown(index_path, snap, docnums) -> dict[int, Shown]:
    """The documents of a page, read from the archive's catalog (the index keeps only
    their ids: it is derived from the catalog and would otherwise repeat it)."""
    keys = {}
    for docnum in dict.fromkeys(int(d) for d in docnums):
        keys[docnum] = snap.document_key(docnum)
    notices = read_notices(index_path.parent, {k[1] for k in keys.values()}, with_copies=True)
    out = {}
    for docnum, (doc_id, nid, kind, position) in keys.items():
        stored = notices.get(nid)
        items = stored.notice.items if stored else ()
        item = items[position] if kind == "item" and position is not None and position < len(items) else None
        out[docnum] = Shown(doc_id, nid, kind, stored, item, position if item else None)
    return out


def matched_item(shown: Shown, score: float, terms) -> MatchedItem:
    item = shown.item
    return MatchedItem(number=item.number if item else None, label=item.label if item else "",
                       position=shown.position or 0,
                       snippet=snippet(item.full_text if item else "", terms),
                       addressees=tuple(item.addressees) if item else (),
                       deadline=item.deadline.date if item and item.deadline else None,
                       deadline_text=item.deadline.text if item and item.deadline else "", score=round(float(score), 4))


def build_hit(shown: Shown, score: float, terms, matched: list[MatchedItem] = (), missing: tuple[str, ...] = (),
              matched_count: int = 0) -> Hit:
    stored, item = shown.stored, shown.item
    notice = stored.notice if stored else Notice()
    is_item = shown.kind == "item"
    text = item.full_text if item else notice.title
    if is_item:
        shown_text = snippet(text, terms)
    elif matched:
        shown_text = matched[0].snippet
    else:
        shown_text = snippet(notice.body or text, terms)
    position = shown.position if is_item else (matched[0].position if matched else None)
    deadline = item.deadline if item else None
    addressees = item.addressees if item else tuple(dict.fromkeys(a for i in notice.items for a in i.addressees))
    return Hit(
        id=shown.id, notice_id=shown.notice_id, kind=shown.kind,
        item_number=item.number if item else None, item_position=position, score=round(float(score), 4),
        title=notice.title, issuer=notice.issuer_canonical or notice.issuer, number=notice.number,
        level=notice.body_level, doc_type=notice.doc_type, date=notice.date,
        meeting_date=notice.meeting_date, issue_date=notice.issue_date,
        topics=tuple(item.topics if item and item.topics else notice.topics),
        addressees=tuple(addressees), deadline=deadline.date if deadline else None,
        deadline_text=deadline.text if deadline else "", snippet=shown_text, text=text,
        source_name=stored.source_name if stored else "", source_path=stored.source_path if stored else "",
        presiding=notice.presiding.name if notice.presiding else "", signer=notice.signer.name if notice.signer else "",
        matched_items=tuple(matched), matched_count=matched_count, missing=missing,
        copies=stored.copies if stored else ())


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
