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
from indexer.archive import Archive
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
        db.executescript("DROP TABLE notice_facts; DROP TABLE notice_bands; DROP TABLE refs; PRAGMA user_version = 0;")
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
        assert archive.db.execute("PRAGMA user_version").fetchone()[0] == 3


def test_copies_tables_of_an_earlier_shape_are_rebuilt(tmp_path, four_copies):
    import sqlite3
    root = tmp_path / "data"
    ingest([four_copies], root)
    db = sqlite3.connect(root / "catalog.sqlite")
    with db:  # version 2 kept the bands in a plain table, and signatures hashed otherwise
        db.executescript("DROP TABLE notice_bands; CREATE TABLE notice_bands (band INTEGER NOT NULL, id TEXT NOT NULL);"
                         "UPDATE notice_facts SET signature = x'00', copy_of = NULL; PRAGMA user_version = 2;")
    db.close()
    with Archive(root) as archive:
        assert archive.db.execute("PRAGMA user_version").fetchone()[0] == 3
        assert archive.copy_count() == 3
        shown = [s for s in archive.notices_of() if s.copy_of is None]
        assert sorted(s.notice.number for s in shown) == ["123-TB/TU", "131-TB/TU"]
        bands = archive.db.execute("SELECT COUNT(*) FROM notice_bands").fetchone()[0]
        assert bands == 16 * archive.db.execute("SELECT COUNT(*) FROM notice_facts WHERE signature != x''").fetchone()[0]


def test_a_band_shared_by_many_notices_is_boilerplate_and_not_read_again(tmp_path):
    from indexer.archive import COMMON_BAND
    with Archive(tmp_path) as archive, archive.db:
        archive.db.executemany("INSERT INTO notice_bands(band, id) VALUES (?,?)",
                               [(7, f"n{i}") for i in range(COMMON_BAND + 1)] + [(8, "n1"), (8, "n2")])
        assert archive._band_members((7, 8)) == [["n1", "n2"]]
        assert archive.db.execute("SELECT band FROM common_bands").fetchall() == [(7,)]
        assert archive.db.execute("SELECT COUNT(*) FROM notice_bands WHERE band = 7").fetchone()[0] == 0
        archive.db.execute("INSERT INTO notice_bands(band, id) VALUES (7, 'n99')")
        assert archive._band_members((7,)) == []  # marked common: never read again
