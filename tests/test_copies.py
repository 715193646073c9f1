"""Copies of one notice (the typed file, a legacy-encoded copy, the portal's HTML, an
OCR-noisy retype) show as one hit; a notice alike in text but with another number and
date stays apart; every original stays archived, and losing one copy loses nothing."""
import html
import re
import shutil
import textwrap

import pytest

from conftest import CORPUS
from indexer import copies
from indexer.archive import VERSION, Archive
from indexer.index import Index
from indexer.ingest import ingest
from indexer.legacy import encode_tcvn3
from indexer.normalize import fold
from indexer.search import SearchRequest, search

TYPED = (CORPUS / "001_tb_thi_uy_ben_cat.txt").read_text(encoding="utf-8")
_LOOKALIKE = {"n": "u", "e": "c", "i": "l", "m": "rn", "h": "b", "o": "0"}


def ocr_retype(text: str) -> str:
    """What a careless OCR does to the body: every fourth word loses its diacritics,
    every fifth has a letter misread, paragraphs are wrapped at other places."""
    head, body = text.split("\n-----\n", 1)
    words = body.split(" ")
    for i, word in enumerate(words):
        if i % 4 == 1:
            words[i] = fold(word) if word.islower() else word
        if i % 5 == 3 and len(word) > 3:
            middle = len(word) // 2
            words[i] = word[:middle] + _LOOKALIKE.get(word[middle], word[middle]) + word[middle + 1:]
    paragraphs = " ".join(words).split("\n")
    wrapped = [textwrap.fill(p, 55) if len(p) > 80 and not p.startswith(("Nơi", "-")) else p for p in paragraphs]
    return head + "\n-----\n" + "\n".join(wrapped)


def portal_html(text: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(line)}</p>\n" for line in text.split("\n") if line.strip())
    return f"<html><head><title>Thông báo</title></head><body><article>\n{paragraphs}</article></body></html>"


def another_meeting(text: str) -> str:
    """The same template for another meeting: another number and other dates."""
    return (text.replace("Số 123-TB/TU", "Số 131-TB/TU").replace("ngày 12 tháng 7 năm 2021", "ngày 20 tháng 8 năm 2021")
            .replace("Ngày 08/7/2021", "Ngày 18/8/2021"))


@pytest.fixture
def four_copies(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a_typed.txt").write_text(TYPED, encoding="utf-8")
    (src / "b_tcvn3.txt").write_bytes(encode_tcvn3(TYPED))
    (src / "c_portal.html").write_text(portal_html(TYPED), encoding="utf-8")
    (src / "d_ocr_retype.txt").write_text(ocr_retype(TYPED), encoding="utf-8")
    (src / "e_next_meeting.txt").write_text(another_meeting(TYPED), encoding="utf-8")
    return src


def test_the_retype_is_really_noisy():
    noisy = ocr_retype(TYPED)
    assert noisy != TYPED and "giai phong" in fold(noisy) and re.search(r"\n.{40,56}\n", noisy)
    assert 0.5 <= copies.similarity(copies.signature(TYPED), copies.signature(noisy)) < 0.9
    assert copies.text_noise(noisy) > 0.05 > copies.text_noise(TYPED)


def test_four_copies_show_as_one_hit(four_copies, tmp_path):
    root = tmp_path / "data"
    summary = ingest([four_copies], root)
    assert summary.failed == 0 and summary.notices == 5
    result = search(Index(root / "index"), SearchRequest(q="giải phóng mặt bằng Bến Cát"))
    assert result.total == 2  # the notice once, and the other meeting's
    first = next(h for h in result.hits if h.number == "123-TB/TU")
    assert first.source_name == "a_typed.txt"  # typed Unicode is the copy shown
    assert [c.name for c in first.copies] == ["b_tcvn3.txt", "c_portal.html", "d_ocr_retype.txt"]
    other = next(h for h in result.hits if h.number == "131-TB/TU")
    assert other.copies == ()
    assert result.facets["issuer"] == {"Thị ủy Bến Cát": 2}  # facets count each notice once too
    assert result.facets["year"] == {"2021": 2}
    with Archive(root) as archive:
        assert archive.stats()["files"] == 5
        for stored in archive.notices_of():
            assert archive.original_path(stored.sha256).is_file()  # every original is kept


def test_copies_are_found_through_their_number_alone(four_copies, tmp_path, monkeypatch):
    """With no band in common (the LSH lookup switched off), copies are still found
    through the number they share (`_facts_by_number`, a batch's keys read at once),
    and the other meeting's notice (another number and date) is not one of them."""
    monkeypatch.setattr(copies.Candidates, "of_many", lambda self, notices: [[] for _ in notices])
    root = tmp_path / "data"
    ingest([four_copies], root)
    with Archive(root) as archive:
        assert archive.copy_count() == 3
    result = search(Index(root / "index"), SearchRequest(q="giải phóng mặt bằng Bến Cát"))
    assert result.total == 2


def test_copy_arriving_later_or_better_takes_over(tmp_path, four_copies):
    """The OCR retype first, the typed file later: the typed one is then shown."""
    root = tmp_path / "data"
    first = tmp_path / "first"
    first.mkdir()
    shutil.copy(four_copies / "d_ocr_retype.txt", first)
    ingest([first], root)
    shutil.copy(four_copies / "a_typed.txt", first)
    ingest([first], root)
    hits = search(Index(root / "index"), SearchRequest(q="123-TB/TU")).hits
    assert [h.source_name for h in hits] == ["a_typed.txt"] and [c.name for c in hits[0].copies] == ["d_ocr_retype.txt"]


def test_changing_the_shown_copy_keeps_the_notice(tmp_path, four_copies):
    root = tmp_path / "data"
    ingest([four_copies], root)
    (four_copies / "a_typed.txt").write_text("Tệp này nay là một ghi chú khác, không phải thông báo.", encoding="utf-8")
    ingest([four_copies], root)
    hits = search(Index(root / "index"), SearchRequest(q="123-TB/TU")).hits
    assert len(hits) == 1 and hits[0].number == "123-TB/TU"
    assert hits[0].source_name == "c_portal.html"  # the best copy left: typed HTML over tcvn3 and OCR
    assert [c.name for c in hits[0].copies] == ["b_tcvn3.txt", "d_ocr_retype.txt"]


FACTS = dict(number_key="123-tb-tu", issue_date="2021-07-12", meeting_date="2021-07-08", issuer="thi uy ben cat")


@pytest.mark.parametrize("change, same", [
    ({}, True),
    ({"number_key": "131-tb-tu"}, False),  # another number: never a copy
    ({"issue_date": "2021-08-20"}, False),
    ({"meeting_date": "2021-08-18"}, False),
    ({"issuer": "huyen uy dau tieng"}, False),
    ({"issuer": "thi uy ben ca"}, True),  # a letter lost by OCR
    ({"number_key": ""}, True),  # one copy lost its number: nothing disagrees
    ({"issue_date": "", "meeting_date": ""}, True),
])
def test_copy_rules(change, same):
    sig = copies.signature(TYPED)
    a = copies.Facts(**FACTS, signature=sig)
    b = copies.Facts(**{**FACTS, **change}, signature=sig)
    assert copies.same_notice(a, b) is same


def test_different_texts_are_not_copies():
    other = (CORPUS / "002_ubnd_huyen_ket_luan.txt").read_text(encoding="utf-8")
    a = copies.Facts(**FACTS, signature=copies.signature(TYPED))
    b = copies.Facts(**FACTS, signature=copies.signature(other))
    assert not copies.same_notice(a, b)


def test_too_short_to_judge():
    assert copies.signature("Thông báo số 1") == b""
    a = copies.Facts(**FACTS, signature=b"")
    assert not copies.same_notice(a, a)


@pytest.mark.parametrize("fmt, encoding, tier", [
    ("txt", "utf-8", 0), ("docx", "utf-8", 0), ("html", "utf-8", 0), ("txt", "tcvn3", 1), ("txt", "vni", 1),
    ("pdf", "pdf-text", 1), ("hocr", "utf-8", 2), ("alto", "utf-8", 2), ("pdf", "ocr-vie", 2), ("png", "ocr-vie", 2),
])
def test_source_tiers(fmt, encoding, tier):
    assert copies.source_tier(fmt, encoding) == tier


def test_a_catalog_from_before_copies_is_upgraded(tmp_path, four_copies):
    import json
    import sqlite3
    root = tmp_path / "data"
    ingest([four_copies], root)
    db = sqlite3.connect(root / "catalog.sqlite")
    with db:
        db.executescript("DROP TABLE notice_facts; DROP TABLE refs; PRAGMA user_version = 0;")
        for nid, data in db.execute("SELECT id, data FROM notices").fetchall():
            plain = json.loads(data)
            plain.pop("references", None)
            db.execute("UPDATE notices SET data = ? WHERE id = ?", (json.dumps(plain, ensure_ascii=False), nid))
    db.close()
    with Archive(root) as archive:
        shown = [s for s in archive.notices_of() if s.copy_of is None]
        assert sorted(s.notice.number for s in shown) == ["123-TB/TU", "131-TB/TU"]
        by_number = {s.notice.number: s for s in shown}
        assert len(archive.copies_of(by_number["123-TB/TU"].id)) == 3 and archive.copies_of(by_number["131-TB/TU"].id) == []
        assert archive.db.execute("PRAGMA user_version").fetchone()[0] == VERSION


def _bands_kept(archive: Archive) -> bool:
    rows = archive.db.execute("SELECT signature, bands FROM notice_facts").fetchall()
    return bool(rows) and all(bands == copies.band_bytes(copies.bands(sig)) for sig, bands in rows)


def test_copies_tables_of_an_earlier_shape_are_rebuilt(tmp_path, four_copies):
    import sqlite3
    root = tmp_path / "data"
    ingest([four_copies], root)
    db = sqlite3.connect(root / "catalog.sqlite")
    with db:  # version 2 kept the bands in a plain table, and signatures hashed otherwise
        db.executescript("CREATE TABLE notice_bands (band INTEGER NOT NULL, id TEXT NOT NULL);"
                         "UPDATE notice_facts SET signature = x'00', bands = x'', copy_of = NULL;"
                         "PRAGMA user_version = 2;")
    db.close()
    with Archive(root) as archive:
        assert archive.db.execute("PRAGMA user_version").fetchone()[0] == VERSION
        assert archive.copy_count() == 3
        shown = [s for s in archive.notices_of() if s.copy_of is None]
        assert sorted(s.notice.number for s in shown) == ["123-TB/TU", "131-TB/TU"]
        assert _bands_kept(archive)
        assert not archive.db.execute("SELECT name FROM sqlite_master WHERE name = 'notice_bands'").fetchall()


def test_bands_of_a_version_3_catalog_move_beside_the_signatures(tmp_path, four_copies):
    """Version 3 kept the bands in their own table: they move without linking again."""
    import sqlite3
    root = tmp_path / "data"
    ingest([four_copies], root)
    db = sqlite3.connect(root / "catalog.sqlite")
    with db:
        db.executescript("ALTER TABLE notice_facts DROP COLUMN bands;"
                         "CREATE TABLE notice_bands (band INTEGER NOT NULL, id TEXT NOT NULL, PRIMARY KEY (band, id))"
                         " WITHOUT ROWID; CREATE TABLE common_bands (band INTEGER PRIMARY KEY);"
                         "PRAGMA user_version = 3;")
    db.close()
    with Archive(root) as archive:
        assert archive.db.execute("PRAGMA user_version").fetchone()[0] == VERSION
        assert _bands_kept(archive) and archive.copy_count() == 3
        tables = {r[0] for r in archive.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert not tables & {"notice_bands", "common_bands"}
    (four_copies / "f_second_typed.txt").write_text(TYPED + "\n", encoding="utf-8")
    ingest([four_copies], root)
    with Archive(root) as archive:
        assert archive.copy_count() == 4  # the upgraded catalog still finds copies


def _facts(number: str = "", issue: str = "", bands: tuple[int, ...] = ()) -> copies.Facts:
    return copies.Facts(number, issue, "", "", b"x", bands)


def test_a_band_shared_by_many_notices_is_boilerplate_and_not_read_again():
    common = copies.COMMON_BAND + 1
    rows = [(f"n{i}", "", "", "", copies.band_bytes([7] + [1000 + i] * (copies.BANDS - 1))) for i in range(common)]
    candidates = copies.Candidates(rows)
    assert candidates.of("new", _facts(bands=(7,))) == []  # boilerplate from the start
    fresh = copies.Candidates([])
    for i in range(common):
        assert fresh.of(f"m{i}", _facts(bands=(8,))) == [f"m{j}" for j in range(i)]
        fresh.add(f"m{i}", _facts(bands=(8,)))
    assert fresh.of("late", _facts(bands=(8,))) == []  # found common: dropped
    fresh.add("later", _facts(bands=(8,)))
    assert fresh.of("latest", _facts(bands=(8,))) == []


def test_copy_candidates_share_a_band_and_agree_on_number_and_dates():
    rows = [("same", "1-tb/tu", "2021-07-12", "", copies.band_bytes([1, 2])),
            ("undated", "", "", "", copies.band_bytes([2, 3])),
            ("other number", "2-tb/tu", "2021-07-12", "", copies.band_bytes([1])),
            ("other band", "1-tb/tu", "2021-07-12", "", copies.band_bytes([9]))]
    candidates = copies.Candidates(rows)
    assert candidates.of("new", _facts("1-tb/tu", "2021-07-12", (1, 2, 3))) == ["same", "undated"]
    candidates.remove("same")
    candidates.add("added", _facts("", "2021-07-12", (3,)))
    assert candidates.of("new", _facts("1-tb/tu", "2021-07-12", (1, 2, 3))) == ["undated", "added"]
    candidates.add("same", _facts("1-tb/tu", "", (5,)))  # the same id linked again, with other bands
    assert candidates.of("new", _facts("1-tb/tu", "2021-07-12", (1, 5))) == ["same"]
    assert len(candidates) == 5


def test_candidates_found_a_batch_at_a_time_are_those_found_one_at_a_time():
    """`add_many` and `of_many` (a link's batch) agree with adding and looking up each
    notice on its own, with notices removed and linked again between batches and bands
    turning boilerplate on the way."""
    import random
    rng = random.Random(7)
    rows = [(f"old{i}", rng.choice(["", "1-tb/tu", "2-tb/tu"]), rng.choice(["", "2021-07-12"]), "",
             copies.band_bytes(rng.sample(range(40), 3))) for i in range(30)]
    added = [(f"new{i}", _facts(rng.choice(["", "1-tb/tu", "3-tb/tu"]), rng.choice(["", "2021-07-12", "2022-01-01"]),
                                tuple(rng.sample(range(40), 3)))) for i in range(200)]
    added += [(f"late{i}", _facts("", "", (100 + i % 3, 200 + i))) for i in range(4 * copies.COMMON_BAND)]  # common later
    added += [(f"new{i}", _facts("", "", (300, 301))) for i in range(0, 200, 9)]  # linked again with other bands
    single, batched = copies.Candidates(rows), copies.Candidates(rows)
    for start in range(0, len(added), 37):
        batch = added[start:start + 37]
        for nid, facts in batch:
            single.add(nid, facts)
        batched.add_many(batch)
        assert batched.of_many(batch) == [single.of(nid, facts) for nid, facts in batch]
        for candidates in (single, batched):
            candidates.remove(f"old{start % 30}")
    assert len(single) == len(batched) and single._common == batched._common
    assert {100, 101, 102} <= batched._common
    probes = [("probe", facts) for _, facts in added[:40]]
    assert batched.of_many(probes) == [single.of(nid, facts) for nid, facts in probes]
    assert any(batched.of_many(probes))


def test_copy_candidates_are_read_again_after_another_connection_writes(tmp_path, four_copies):
    import sqlite3
    root = tmp_path / "data"
    ingest([four_copies], root)
    with Archive(root) as archive:
        before = archive._copy_candidates()
        assert archive._copy_candidates() is before
        other = sqlite3.connect(root / "catalog.sqlite")
        with other:
            other.execute("DELETE FROM notice_facts WHERE copy_of IS NOT NULL")
        other.close()
        after = archive._copy_candidates()
        assert after is not before and len(after) == len(before) - 3


def test_band_keys_are_those_stored_in_catalogs():
    """A band's key: its 16 bytes' CRC-32 as the low half of a little-endian signed
    64-bit integer, the band's number as the high half (archives keep these keys: they
    must never change)."""
    import os
    import zlib

    from indexer.copies import BANDS, HASHES, bands
    for sig in [os.urandom(HASHES * 4) for _ in range(200)] + [b"\xff" * HASHES * 4, bytes(HASHES * 4)]:
        expected = [int.from_bytes(zlib.crc32(sig[b * 16:(b + 1) * 16]).to_bytes(4, "little") + b.to_bytes(4, "little"),
                                   "little", signed=True) for b in range(BANDS)]
        assert bands(sig) == expected
    assert bands(b"") == []
