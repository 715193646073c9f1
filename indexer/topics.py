"""Topic tagging: which topics of the taxonomy each conclusion item is about.

The taxonomy is a TOML file (the package's `data/topics.toml` unless the user points at
their own). Rules match case-, diacritic- and punctuation-insensitively at word
boundaries; exclusion phrases are blanked out before matching.

Topics are few and ranked. Each topic found in a text is scored by its evidence: every
phrase matched counts its number of words (a two-word phrase says more than one word),
half again in the text's opening (where an item names its subject), and the sum is
taken relative to the text's length. An item keeps the topics scoring at least
ITEM_KEEP of its best, at most MAX_ITEM_TOPICS; a notice keeps its main subjects, at
most MAX_NOTICE_TOPICS: the topics of its title and of most of its items, not the
union of everything its items mention."""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from pathlib import Path

from .errors import KetluanError
from .model import Notice, replaced
from .normalize import fold, normalize_line, per_token

DEFAULT_TAXONOMY = Path(__file__).parent / "data" / "topics.toml"
SAVED_NAME = "topics.toml"  # the taxonomy an archive was tagged with, kept in the data directory
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_NON_WORD = re.compile(r"[\W_]+")


class BadTaxonomy(KetluanError):
    message_vi = "Tệp danh mục chủ đề không hợp lệ."


@dataclass(frozen=True)
class Topic:
    id: str
    name: str
    match: tuple[str, ...]
    exclude: tuple[str, ...] = ()


def _prepare(text: str, normalized: bool = False) -> tuple[str, str]:
    """(lower-case text, its folded form) with punctuation as single spaces; both have
    the same length, so a span found in one can be blanked in the other. `normalized`:
    the text comes out of the parser, already normalised (punctuation and spacing,
    which normalising also touches, become single spaces here anyway)."""
    lower = " " + _NON_WORD.sub(" ", (text if normalized else normalize_line(text)).lower()) + " "
    return lower, fold(lower)


def _spaced_forms(text: str, normalized: bool = False) -> tuple[str, str, int]:
    """What `scores` reads of a text: its words folded and as written in lower case,
    each single-spaced with a space before and after (`" giai phong "`), and the
    length of `_prepare`'s text. The same words as `_prepare`'s, found token by token
    (whitespace-separated; a regex over the text and a fold of it cost four times as
    much)."""
    lowered = (text if normalized else normalize_line(text)).lower()
    forms = per_token(_TOKEN_FORMS, lowered.split(), _token_forms)
    lower = " ".join(filter(None, map(itemgetter(0), forms)))
    if not lower:
        return "  ", "  ", 2
    folded = " ".join(filter(None, map(itemgetter(1), forms)))
    # `_prepare` keeps a space for punctuation before the first word and after the last
    chars = len(lower) + 2 + (not lowered[0].isalnum()) + (not lowered[-1].isalnum())
    return " " + folded + " ", " " + lower + " ", chars


def _token_forms(token: str) -> tuple[str, str]:
    """A lower-case token's words, single-spaced ("" when none), and their fold."""
    words = " ".join(_NON_WORD.sub(" ", token).split())
    return words, fold(words)


_TOKEN_FORMS: dict[str, tuple[str, str]] = {}


def _phrases(phrases: tuple[str, ...]) -> tuple[set[str], set[str]]:
    """The folded phrases and the `=`-prefixed (exact, lower-case) ones, as words
    separated by single spaces."""
    folded, exact = set(), set()
    for phrase in phrases:
        keep = phrase.startswith("=")
        words = _NON_WORD.sub(" ", normalize_line(phrase.lstrip("=")).lower()).strip()
        if words:
            (exact if keep else folded).add(words if keep else fold(words))
    return folded, exact


class _PhraseFinder:
    """Every occurrence of a table's phrases in a text whose words are separated by
    single spaces (with one before the first and after the last): at each word, the
    phrases that start there. One regex finds the longest at each word (a trie of the
    phrases' characters, tried only where a word starts: the pattern begins with the
    space, which `re` finds by a quick scan); the shorter ones there are its first
    words that are phrases too. (A Python loop looking each word up cost three times
    as much.)"""

    def __init__(self, rules: dict[str, list[tuple[int, int]]]):
        # phrase → (length in words, rules) of each of its first-words runs that is a
        # phrase, the longest first
        self.starting: dict[str, tuple[tuple[int, tuple[tuple[int, int], ...]], ...]] = {}
        for phrase in rules:
            words = phrase.split()
            self.starting[phrase] = tuple((k, tuple(rules[run])) for k in range(len(words), 0, -1)
                                          if (run := " ".join(words[:k])) in rules)
        self.pattern = re.compile(" (?=(" + _trie_pattern(rules) + ") )") if rules else None

    def find(self, spaced: str, found: dict, form: int, offsets: dict[int, int]) -> None:
        """Add each occurrence, as (first word, length in words), to `found[(topic,
        role, form)]`, by word and the longest first; `offsets`: a word's offset in the
        text."""
        if self.pattern is None:
            return
        at, counted = 0, 0  # the word at the space `counted`
        for m in self.pattern.finditer(spaced):
            at += spaced.count(" ", counted, m.start())
            counted = m.start()
            offsets[at] = counted + 1
            for length, rules in self.starting[m.group(1)]:
                for n, role in rules:
                    found.setdefault((n, role, form), []).append((at, length))


def _trie_pattern(phrases) -> str:
    """A regex matching any of the phrases, the longest it can at each point (greedy
    optional groups: a longer phrase is tried before the one it extends)."""
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = {}

    def pattern(node: dict) -> str:
        branches = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return pattern(trie)


def _first_fits(occurrences, excluded=()) -> list[tuple[int, int]]:
    """The occurrences (first word, length) a regex scan would match: at each word the
    longest one, none overlapping the one before or an excluded span. `occurrences`
    come in the order `Taxonomy.scores` finds them: by word, the longest first."""
    kept, end = [], 0
    for at, length in occurrences:
        if at < end or excluded and any(at < e_at + e_len and e_at < at + length for e_at, e_len in excluded):
            continue
        kept.append((at, length))
        end = at + length
    return kept


_FOLDED, _EXACT = 0, 1  # where a phrase is looked for: the folded text, or the lower-case one
_INCLUDE, _EXCLUDE = 0, 1


class Taxonomy:
    def __init__(self, topics: list[Topic], source: str = ""):
        self.topics = tuple(topics)
        self.source = source
        self.names = {t.id: t.name for t in self.topics}
        # phrase (its words, single-spaced) → the (topic, include/exclude) rules naming
        # it, one table per text form, each searched for by a _PhraseFinder
        rules: tuple[dict[str, list[tuple[int, int]]], ...] = ({}, {})
        for n, topic in enumerate(self.topics):
            for role, phrases in ((_INCLUDE, topic.match), (_EXCLUDE, topic.exclude)):
                for form, found in enumerate(_phrases(phrases)):
                    for phrase in found:
                        rules[form].setdefault(phrase, []).append((n, role))
        self._finders = tuple(_PhraseFinder(form_rules) for form_rules in rules)

    def __contains__(self, topic_id: str) -> bool:
        return topic_id in self.names

    def tag_text(self, text: str, normalized: bool = False) -> tuple[str, ...]:
        """The topics of `text`, strongest first: in a short text every topic it names,
        in a long one those near the strongest (the others are passing mentions)."""
        return _strongest(text, self.scores(text, normalized))

    def scores(self, text: str, normalized: bool = False) -> dict[str, float]:
        """Each topic whose rules match `text` → the strength of its evidence.

        A topic's phrases are matched as a regex alternation of them would be (longest
        first at each word, matches not overlapping), except where one of its exclusion
        phrases matched: those words are not read. The phrases of all topics are found
        in one pass over the text (`_PhraseFinder`)."""
        folded, lower, chars = _spaced_forms(text, normalized)
        # (topic, role, form) → (first word, length) of each occurrence: by word, the
        # longest first (the order `_first_fits` reads them in)
        found: dict[tuple[int, int, int], list[tuple[int, int]]] = {}
        offsets: dict[int, int] = {}  # a word found → its offset in the text
        for form, spaced in ((_FOLDED, folded), (_EXACT, lower)):
            self._finders[form].find(spaced, found, form, offsets)
        if not found:
            return {}
        return self._evidence(found, offsets, lower.count(" ") - 1, chars)

    def _evidence(self, found: dict, offsets: dict[int, int], words: int, chars: int) -> dict[str, float]:
        opening = max(OPENING_CHARS, chars // 3)
        size = max(1, words)
        scores = {}
        for n in sorted({n for n, role, _ in found if role == _INCLUDE}):
            excluded = [span for form in (_FOLDED, _EXACT) for span in _first_fits(found.get((n, _EXCLUDE, form), ()))]
            evidence = 0.0
            for form in (_FOLDED, _EXACT):
                for at, length in _first_fits(found.get((n, _INCLUDE, form), ()), excluded):
                    evidence += length * (1.5 if offsets[at] < opening else 1.0)
            if evidence:
                # relative to length, gently: a long item is not weaker for being long
                scores[self.topics[n].id] = evidence / (1 + size / 60)
        return scores

    def tag(self, notice: Notice) -> Notice:
        """The notice with ranked topics on every item and its main subjects on the
        notice. An item that matches nothing takes its section's or the title's topic
        when that is a single one (`… về công tác cán bộ`: its items are about cán bộ)."""
        title = self.scores(notice.title, normalized=True)
        title_topics = _strongest(notice.title, title)
        items, notice_scores = [], {}
        for item in notice.items:
            scored = self.scores(item.full_text, normalized=True)
            topics = _strongest(item.full_text, scored)
            if not topics:
                context = self.tag_text(item.section, normalized=True) or title_topics
                topics = context if len(context) == 1 else ()
                scored = {t: 1.0 for t in topics}
            items.append(replaced(item, topics=topics))
            best = max((scored[t] for t in topics), default=0)
            for t in topics:  # each item votes for its topics, its best one with weight 1
                notice_scores[t] = notice_scores.get(t, 0.0) + scored[t] / best
        if not notice.items:
            notice_scores = self.scores(notice.title + "\n" + notice.body, normalized=True)
        top = max(title.values(), default=0)
        for t, value in title.items():  # the title names the notice's subject
            notice_scores[t] = notice_scores.get(t, 0.0) + 2 * value / top
        return replaced(notice, items=tuple(items),
                                   topics=_keep(notice_scores, NOTICE_KEEP, MAX_NOTICE_TOPICS))


MAX_ITEM_TOPICS = 5
MAX_NOTICE_TOPICS = 6
ITEM_KEEP = 0.1  # in a long item, a topic scoring under 10% of its best is a passing mention
SHORT_WORDS = 100
NOTICE_KEEP = 0.25
OPENING_CHARS = 120


def _strongest(text: str, scores: dict[str, float]) -> tuple[str, ...]:
    """A text's topics from its scores: in a short text every topic it names, in a long
    one those near the strongest."""
    return _keep(scores, ITEM_KEEP if len(text.split()) > SHORT_WORDS else 0.0, MAX_ITEM_TOPICS)


def _keep(scores: dict[str, float], share: float, most: int) -> tuple[str, ...]:
    """The strongest topics: at least `share` of the best score, `most` at most, best
    first (ties in taxonomy order, as `scores` lists them)."""
    if not scores:
        return ()
    best = max(scores.values())
    ranked = sorted(scores, key=lambda t: -scores[t])
    return tuple(t for t in ranked if scores[t] >= share * best)[:most]


def parse_taxonomy(text: str, source: str = "<text>") -> Taxonomy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise BadTaxonomy(f"{source}: not valid TOML: {err}", f"Tệp chủ đề {source} không đúng định dạng TOML: {err}")
    entries = data.get("topic")
    if not isinstance(entries, list) or not entries:
        raise BadTaxonomy(f"{source}: no [[topic]] entries", f"Tệp chủ đề {source} không có mục [[topic]] nào.")
    topics, seen = [], set()
    for n, entry in enumerate(entries, 1):
        topics.append(_topic(entry, n, source, seen))
    return Taxonomy(topics, source)


def _topic(entry: dict, n: int, source: str, seen: set) -> Topic:
    def bad(problem: str, problem_vi: str) -> BadTaxonomy:
        return BadTaxonomy(f"{source}: topic #{n}: {problem}", f"Tệp chủ đề {source}, chủ đề thứ {n}: {problem_vi}")

    topic_id = entry.get("id")
    if not isinstance(topic_id, str) or not _ID.match(topic_id):
        raise bad("'id' must be lower-case ASCII letters, digits and hyphens",
                  "'id' chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang")
    if topic_id in seen:
        raise bad(f"duplicate id '{topic_id}'", f"trùng id '{topic_id}'")
    seen.add(topic_id)
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad("'name' is missing", "thiếu 'name'")
    lists = {}
    for key in ("match", "exclude"):
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad(f"'{key}' must be a list of strings", f"'{key}' phải là danh sách chuỗi")
        lists[key] = tuple(v for v in value if v.strip("= "))
    if not lists["match"]:
        raise bad("'match' is empty", "'match' đang trống")
    return Topic(topic_id, normalize_line(name), lists["match"], lists["exclude"])


def taxonomy_path(explicit: str | os.PathLike | None = None, data_dir: str | os.PathLike | None = None) -> Path:
    """--topics FILE, else $KETLUAN_TOPICS, else the copy saved in the data directory,
    else the packaged taxonomy."""
    if explicit:
        return Path(explicit)
    if os.environ.get("KETLUAN_TOPICS"):
        return Path(os.environ["KETLUAN_TOPICS"])
    if data_dir and (Path(data_dir) / SAVED_NAME).is_file():
        return Path(data_dir) / SAVED_NAME
    return DEFAULT_TAXONOMY


def load(path: str | os.PathLike | None = None) -> Taxonomy:
    """The taxonomy in a file, parsed once while the file stays the same (the site asks
    for it several times per request: a stat, not a read)."""
    path = Path(path) if path else DEFAULT_TAXONOMY
    try:
        stat = path.stat()
    except OSError as err:
        raise _unreadable(path, err)
    return _cached(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _cached(source: str, mtime_ns: int, size: int) -> Taxonomy:
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise _unreadable(path, err)
    return parse_taxonomy(text, source)


def _unreadable(path: Path, err: Exception) -> BadTaxonomy:
    return BadTaxonomy(f"{path}: cannot read the topic file: {err}", f"Không đọc được tệp chủ đề {path}.")
