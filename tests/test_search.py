import datetime as dt

import numpy as np
import pytest

from conftest import CORPUS_DISTINCT, ROOT
from indexer.errors import BadQuery
from indexer.search import SearchRequest, search, snippet


def ids(result):
    return [h.notice_id for h in result.hits]


@pytest.mark.parametrize("q", ["giai phong mat bang", "giải phóng mặt bằng", "GIAI PHONG mặt bằng"])
def test_diacritic_insensitive_and_mixed(corpus_index, q):
    result = search(corpus_index, SearchRequest(q=q, limit=50))
    assert result.total >= 4 and not result.partial
    assert all("<mark>" in h.snippet for h in result.hits)


def test_every_word_must_match(corpus_index):
    both = search(corpus_index, SearchRequest(q="vành đai", limit=50)).total
    assert both >= 1
    assert search(corpus_index, SearchRequest(q="vành đai tuyệt_không_có")).partial


def test_exact_diacritics_rank_first(corpus_index):
    """(tests/test_ranking.py holds the promise on notices that differ only in it.)"""
    result = search(corpus_index, SearchRequest(q="đảng viên", limit=50))
    assert "<mark>đảng viên</mark>" in result.hits[0].snippet.lower()


def test_filters_and_facets(corpus_index):
    all_items = search(corpus_index, SearchRequest(q="", limit=200))
    assert all_items.facets["level"]["huyện"] >= 5
    huyen = search(corpus_index, SearchRequest(level="huyện", limit=200))
    assert huyen.total == all_items.facets["level"]["huyện"]
    assert all(h.level == "huyện" for h in huyen.hits)
    dated = search(corpus_index, SearchRequest(date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 12, 31), limit=200))
    assert dated.total and all(h.date.year == 2024 for h in dated.hits)
    newest = search(corpus_index, SearchRequest(sort="newest", limit=200))
    dates = [h.date for h in newest.hits if h.date]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize("q, kind", [("", "notice"), ("", "item"), ("ủy ban", "notice"), ("đảng viên", "item"),
                                     ("giải phóng mặt bằng", "notice"), ("xyzzy", "notice")])
def test_facets_counted_alike_from_few_or_many_matches(corpus_index, monkeypatch, q, kind):
    """Few matches: each one's values looked up; many: every value's documents masked."""
    from indexer.search import facets
    monkeypatch.setattr(facets, "SPARSE", 0)  # always looked up
    looked_up = search(corpus_index, SearchRequest(q=q, kind=kind)).facets
    monkeypatch.setattr(facets, "SPARSE", 10**9)  # always masked
    masked = search(corpus_index, SearchRequest(q=q, kind=kind)).facets
    assert looked_up == masked and (q == "xyzzy" or looked_up["level"])


@pytest.mark.parametrize("q, kind", [("ủy ban", "notice"), ("đảng viên", "item"), ("giải phóng mặt bằng", "notice"),
                                     ("giai phong mat bang", "item"), ('"công tác cán bộ"', "notice"),
                                     ("ban thường vụ huyện ủy kiểm tra giám sát đảng viên vi phạm", "notice"),
                                     ("vành đai tuyệt_không_có", "notice"), ("123-TB/TU", "notice")])
def test_scores_alike_for_the_matching_documents_only_or_all(corpus_index, monkeypatch, q, kind):
    """Scoring only the documents whose scores are read (the matching ones and their
    items) ranks and scores every hit as scoring them all does."""
    import indexer.search as core
    pages = []
    for sparse in (0, 10**9):  # always only the needed documents; always all of them
        monkeypatch.setattr(core, "SPARSE_SCORING", sparse)
        pages.append([search(corpus_index, SearchRequest(q=q, kind=kind, limit=10, page=page)) for page in (1, 2)])
    assert pages[0] == pages[1] and pages[0][0].total


def test_notices_kind_and_pagination(corpus_index):
    notices = search(corpus_index, SearchRequest(kind="notice", limit=5))
    assert notices.total == CORPUS_DISTINCT and len(notices.hits) == 5
    page2 = search(corpus_index, SearchRequest(kind="notice", limit=5, page=2))
    assert not set(ids(notices)) & set(ids(page2))


def test_query_spread_over_title_and_item(corpus_index):
    notices = search(corpus_index, SearchRequest(q="Bến Cát kiểm đếm"))
    assert notices.total >= 1 and notices.hits[0].matched_items[0].number == 1
    items = search(corpus_index, SearchRequest(q="Bến Cát kiểm đếm", kind="item"))
    assert items.total >= 1 and items.hits[0].item_number == 1


def test_document_number_prefix(corpus_index):
    result = search(corpus_index, SearchRequest(q="so:123-TB/TU", kind="notice"))
    assert result.total >= 1 and result.hits[0].number == "123-TB/TU"


@pytest.mark.parametrize("q", ["x" * 600, "OR", "a OR"])
def test_bad_queries_raise(corpus_index, q):
    with pytest.raises(BadQuery):
        search(corpus_index, SearchRequest(q=q))


@pytest.mark.parametrize("q, same_as", [("(luận", "luận"), ("\x00\x01 dang", "dang"), ("-", ""), ("***", ""),
                                        ("'", ""), ("<script>", "script"), ("AND", "and")])
def test_odd_queries_are_read_as_their_words(corpus_index, q, same_as):
    """Punctuation and control characters are not words: the query finds what its words
    find (nothing but a browse when it has none)."""
    odd, plain = search(corpus_index, SearchRequest(q=q)), search(corpus_index, SearchRequest(q=same_as))
    assert odd.total == plain.total and [h.id for h in odd.hits] == [h.id for h in plain.hits]


@pytest.mark.parametrize("kwargs", [dict(limit=0), dict(limit=10**9), dict(page=0), dict(sort="x"), dict(kind="x"),
                                    dict(date_from=dt.date(2024, 1, 2), date_to=dt.date(2024, 1, 1))])
def test_bad_parameters_raise(corpus_index, kwargs):
    with pytest.raises(BadQuery):
        search(corpus_index, SearchRequest(**kwargs))


def test_snippet_is_escaped_and_marks_folded_matches():
    out = snippet("Giải phóng <script>alert(1)</script> mặt bằng", ("mat", "bang"))
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<mark>mặt</mark> <mark>bằng</mark>" in out


@pytest.mark.parametrize("q, clauses, excluded", [
    ("a b", [["a"], ["b"]], []),
    ("a OR b", [["a", "b"]], []),
    ("a OR b OR c d", [["a", "b", "c"], ["d"]], []),
    ("a OR b c OR d", [["a", "b"], ["c", "d"]], []),
    ('-x "mặt bằng"', [["mặt bằng"]], [["x"]]),
])
def test_query_operators(q, clauses, excluded):
    from indexer.search.query import parse_query
    parsed = parse_query(q)
    forms = lambda cs: [[" ".join(f.words) for f in c.forms] for c in cs]  # noqa: E731
    assert (forms(parsed.clauses), forms(parsed.excluded)) == (clauses, excluded)
    assert all(f.adjacent for c in parsed.clauses for f in c.forms if " " in " ".join(f.words))


def test_unclosed_quote_is_searched_as_closed_with_a_note(corpus_index):
    result = search(corpus_index, SearchRequest(q='"đảng viên'))
    closed = search(corpus_index, SearchRequest(q='"đảng viên"'))
    assert result.total == closed.total > 0 and result.notes and not closed.notes


def test_long_query_needs_most_of_its_words_and_ranks_by_coverage(corpus_index):
    """Ten words, two of which no notice has: the notice with the other eight first."""
    q = "kiểm đếm áp giá bồi thường vành đai zzqq xxkk hoàn thành"
    result = search(corpus_index, SearchRequest(q=q))
    assert result.total >= 1 and result.partial
    assert result.hits[0].number == "123-TB/TU" and set(result.hits[0].missing) == {"zzqq", "xxkk"}


def test_or_and_exclude_change_results(corpus_index):
    one = search(corpus_index, SearchRequest(q="Covid", limit=200)).total
    either = search(corpus_index, SearchRequest(q='Covid OR "thủy lợi"', limit=200)).total
    assert either > one
    without = search(corpus_index, SearchRequest(q="Covid -vắc", limit=200)).total
    assert without < one


@pytest.mark.parametrize("q, suggestion", [
    ("giai phong mat bang", "giải phóng mặt bằng"),
    ("ban thuong vu", "Ban Thường vụ"),
    ("dang vien", "đảng viên"),
    ("Dang uy", "Đảng ủy"),             # not the shouted heading form ĐẢNG ỦY
    ("nong thon moi", "nông thôn mới"),
    ("thu hoi dat", "thu hồi đất"),
    ("giải phóng", ""),                 # already has diacritics
    ("UBND", ""),                       # nothing to add
    ("xyzzy", ""),                      # not in the archive
    ("so:123-TB/TU", ""),
])
def test_did_you_mean_from_the_archive(corpus_index, q, suggestion):
    assert search(corpus_index, SearchRequest(q=q)).suggestion == suggestion


def test_suggestion_keeps_words_it_cannot_improve(corpus_index):
    assert search(corpus_index, SearchRequest(q="giai ngan 2022")).suggestion == "giải ngân 2022"


@pytest.fixture(scope="module")
def abbreviated_index(tmp_path_factory):
    from indexer.index import Index
    from indexer.ingest import ingest
    folder = tmp_path_factory.mktemp("abbr")
    (folder / "a.txt").write_text("THÔNG BÁO\nkết luận về công tác GPMB\n"
                                  "1. Giao UBND huyện hoàn thành GPMB dự án KT-XH trọng điểm.\n", encoding="utf-8")
    (folder / "b.txt").write_text("THÔNG BÁO\nkết luận về nông thôn mới\n"
                                  "1. Ủy ban nhân dân xã xây dựng nông thôn mới nâng cao.\n", encoding="utf-8")
    root = tmp_path_factory.mktemp("abbr-data")
    ingest([folder], root)
    return Index(root / "index")


@pytest.fixture(scope="module")
def partly_dated_index(tmp_path_factory):
    """Two dated notices and two without a date (a cut-off scan, a copied extract)."""
    from indexer.index import Index
    from indexer.ingest import ingest
    folder = tmp_path_factory.mktemp("dated")
    item = "1. Giao Ủy ban nhân dân huyện hoàn thành giải phóng mặt bằng {}.\n"
    for name, date, project in (
            ("undated-1", "", "dự án đường vành đai phía bắc và khu tái định cư thôn Đông"),
            ("dated-2023", "ngày 3 tháng 4 năm 2023", "cụm công nghiệp Lộc Sơn mở rộng giai đoạn hai"),
            ("undated-2", "", "trường trung học cơ sở xã Lộc Châu cùng nhà văn hóa"),
            ("dated-2024", "ngày 9 tháng 5 năm 2024", "hồ chứa nước Đạ Lây và kênh tưới tiêu nội đồng")):
        header = f"HUYỆN ỦY BẢO LỘC\nSố 12-TB/HU\nBảo Lộc, {date}\n" if date else ""
        (folder / f"{name}.txt").write_text(header + f"THÔNG BÁO KẾT LUẬN\ncủa Ban Thường vụ Huyện ủy ({name})\n"
                                            + item.format(project), encoding="utf-8")
    root = tmp_path_factory.mktemp("dated-data")
    ingest([folder], root)
    return Index(root / "index")


@pytest.mark.parametrize("q", ["", "giai phong mat bang"])
@pytest.mark.parametrize("kind", ["notice", "item"])
@pytest.mark.parametrize("sort, dates", [("newest", ["2024-05-09", "2023-04-03", None, None]),
                                         ("oldest", ["2023-04-03", "2024-05-09", None, None])])
def test_date_sorts_put_undated_notices_last(partly_dated_index, q, kind, sort, dates):
    result = search(partly_dated_index, SearchRequest(q=q, kind=kind, sort=sort))
    assert [h.date.isoformat() if h.date else None for h in result.hits] == dates


@pytest.mark.parametrize("q, sources", [
    ("UBND", {"a.txt", "b.txt"}),                    # the abbreviation finds the full form too
    ("ủy ban nhân dân", {"a.txt", "b.txt"}),         # and the full form finds the abbreviation
    ("uy ban nhan dan huyen", {"a.txt"}),
    ("giải phóng mặt bằng", {"a.txt"}),
    ("NTM", {"b.txt"}),
    ("kinh te xa hoi", {"a.txt"}),
    ("kt-xh", {"a.txt"}),
])
def test_abbreviations_match_both_ways(abbreviated_index, q, sources):
    result = search(abbreviated_index, SearchRequest(q=q))
    assert {h.source_name for h in result.hits} == sources


def test_abbreviation_hits_are_highlighted(abbreviated_index):
    (hit,) = search(abbreviated_index, SearchRequest(q="giai phong mat bang")).hits
    assert "<mark>GPMB</mark>" in hit.snippet


@pytest.mark.parametrize("q, suggestion", [
    ("giai phong mat bnag", "giải phóng mặt bằng"),   # swapped letters
    ("giai phong mat bagn", "giải phóng mặt bằng"),   # `ban` is as close and commoner; `mặt bằng` is the pair
    ("dang vein guong mau", "đảng viên gương mẫu"),
    ("thu hoi dta", "thu hồi đất"),
])
def test_misspelt_query_that_finds_nothing_gets_a_correction(corpus_index, q, suggestion):
    result = search(corpus_index, SearchRequest(q=q))
    assert result.partial and result.suggestion == suggestion


def test_correction_is_only_offered_when_nothing_was_found(corpus_index):
    assert search(corpus_index, SearchRequest(q="giải phóng mặt bằng")).suggestion == ""


def test_a_filter_that_allows_nothing_finds_nothing(corpus_index):
    far = dt.date(2090, 1, 1)
    assert search(corpus_index, SearchRequest(due_from=far)).total == 0
    assert search(corpus_index, SearchRequest(q="dang vien", topic="khong-co")).total == 0


def test_browsing_without_words_matches_the_scored_path(corpus_index):
    """Word-less requests take a fast path; its totals, facets and order must be what a
    scored search over the same filters gives (and no year facet for undated notices)."""
    for request in (SearchRequest(), SearchRequest(sort="newest"), SearchRequest(kind="notice", sort="oldest"),
                    SearchRequest(level="huyện", topic="y-te")):
        fast = search(corpus_index, request)
        scored = search(corpus_index, SearchRequest(**{**request.__dict__, "q": "-zzzqqq"}))
        assert fast.total == scored.total and fast.facets == scored.facets
        if request.sort != "relevance":
            assert [h.date for h in fast.hits] == [h.date for h in scored.hits]
    assert all(int(year) < 10_000 for year in search(corpus_index, SearchRequest()).facets["year"])


def test_word_segmentation_loads_pyvi_without_scikit_learn():
    """The server's memory: pyvi's tokenizer works without scikit-learn and SciPy
    (about 95 MB) being imported."""
    import subprocess
    import sys as _sys
    code = ("import sys; from indexer.search.query import compound_words; "
            "print(compound_words('giải phóng mặt bằng')); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')))")
    out = subprocess.run([_sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(ROOT)).stdout.splitlines()
    assert out == ["[['giải', 'phóng'], ['mặt', 'bằng']]", "[]"]


@pytest.mark.parametrize("scores, k", [
    ([3, 1, 2, 2, 2, 2, 0, 2], 3),           # ties straddle the k-th place
    ([1] * 50, 10),                          # everything ties: the first k documents
    ([5, 4, 3, 2, 1], 5),                    # no cut
    ([0.5, 0.5, 0.25, 0.75, 0.5, 0.75], 1),
    ([2, 2, 1, 2, 1, 1, 2, 1, 2], 4),
    ([1, float("nan"), 2, float("nan"), 1], 3),  # a NaN score (none is expected) ranks last, not lost
    *[(list(np.random.default_rng(seed).integers(0, levels, n)), k)  # large ties (argpartition keeps any of them)
      for seed, (n, levels, k) in enumerate([(1000, 3, 100), (5000, 2, 200), (300, 4, 50)])],
])
def test_top_k_is_the_head_of_the_full_sort(scores, k):
    from indexer.search import score
    every = np.array(scores, np.float32)
    candidates = np.arange(len(every))
    rank = np.where(np.isnan(every), -np.inf, every)
    full = sorted(range(len(every)), key=lambda d: (-rank[d], d))[:k]
    assert score.top(candidates, every, k).tolist() == full
    # a subset of the documents (every other one), as a match gives them
    some = candidates[::2]
    assert score.top(some, every, k).tolist() == sorted(some.tolist(), key=lambda d: (-rank[d], d))[:k]
