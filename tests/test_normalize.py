import unicodedata

import pytest

from indexer.normalize import canonical_tone, fold, fold_with_offsets, has_diacritics, normalize, normalize_line, squeeze

NFD = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731

# Every vowel with every tone: (toned letter, folded letter).
VOWEL_TONES = [
    (v, base)
    for base, row in {
        "a": "aàáảãạ", "ă": "ăằắẳẵặ", "â": "âầấẩẫậ", "e": "eèéẻẽẹ", "ê": "êềếểễệ", "i": "iìíỉĩị",
        "o": "oòóỏõọ", "ô": "ôồốổỗộ", "ơ": "ơờớởỡợ", "u": "uùúủũụ", "ư": "ưừứửữự", "y": "yỳýỷỹỵ",
    }.items()
    for v in row
]
VOWEL_TONES = [(v, fold(base) if base != "đ" else "d") for v, base in VOWEL_TONES]


@pytest.mark.parametrize("letter,expected", VOWEL_TONES + [(v.upper(), e) for v, e in VOWEL_TONES])
def test_fold_every_vowel_every_tone(letter, expected):
    assert fold(letter) == expected
    assert fold(NFD(letter)) == expected


@pytest.mark.parametrize("text,expected", [
    ("hoà", "hòa"), ("hòa", "hòa"), ("thuỷ", "thủy"), ("thủy", "thủy"), ("Hoà Bình", "Hòa Bình"),
    ("THUỶ LỢI", "THỦY LỢI"), ("khoẻ", "khỏe"), ("oá", "óa"), ("loé", "lòe".replace("ò", "ó")),
    ("uý ban", "úy ban"), ("quý", "quý"), ("qúy", "quý"), ("người", "người"), ("ngoài", "ngoài"),
    ("khuỷu", "khuỷu"), ("hoạch", "hoạch"), ("huỳnh", "huỳnh"), ("giá", "giá"), ("gìn", "gìn"),
    ("thuở", "thuở"), ("tuổi", "tuổi"), ("hoè", "hòe"), ("Uỷ ban nhân dân", "Ủy ban nhân dân"),
    ("café", "café"), ("Windows-1258", "Windows-1258"),
])
def test_canonical_tone_placement(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize("old,new", [("hoà", "hòa"), ("thuỷ", "thủy"), ("hoá", "hóa"), ("khoẻ", "khỏe"), ("tuỳ", "tùy")])
def test_old_and_new_tone_placement_fold_and_normalise_equal(old, new):
    assert normalize(old) == normalize(new)
    assert fold(old) == fold(new)


@pytest.mark.parametrize("text,expected", [
    (NFD("Đảng ủy"), "Đảng ủy"),
    ("\u00d0ảng bộ", "Đảng bộ"),  # Icelandic eth typed for Đ
    ("**Lâm Minh Thế**", "Lâm Minh Thế"),
    ('"*mục tiêu kép*"', '"mục tiêu kép"'),
    ("a  \t b", "a b"),
    ("dòng 1\r\ndòng 2", "dòng 1\ndòng 2"),
    ("   *   ", "*"),
    ("x * y * z", "x * y * z"),
    ("2 * 3", "2 * 3"),
    ("zero\u200bwidth", "zerowidth"),
    ("non\u00a0breaking", "non breaking"),
    ("em\u2003space and  two\u3000 \u00a0kinds", "em space and two kinds"),
    (" lề  \n  dòng \u00a0\n", "lề\ndòng\n"),
    ("(hoà), thuỷ.", "(hòa), thủy."),  # a tone moved inside a token with punctuation
    ("Hoà-Thuỷ hoà", "Hòa-Thủy hòa"),
])
def test_normalize(text, expected):
    assert normalize(text) == expected
    assert normalize(text) == expected  # the second time from what was remembered


@pytest.mark.parametrize("text,expected", [
    ("Nơi nhận:   Kết luận", "Nơi nhận:\tKết luận"),  # three spaces: a column gap
    ("a \u00a0 b\tc", "a\tb\tc"),
    ("a  b", "a b"),  # two: not a gap
    ("  lề trái\u00a0\t", "lề trái"),
])
def test_normalize_keeping_columns(text, expected):
    assert normalize(text, keep_columns=True) == expected


@pytest.mark.parametrize("text,expected", [
    ("Đảng ủy", "dang uy"), ("ĐẢNG ỦY", "dang uy"), ("đảng viên", "dang vien"),
    ("giải phóng mặt bằng", "giai phong mat bang"), ("Covid-19", "covid-19"),
    ("UBND tỉnh Bình Dương", "ubnd tinh binh duong"), ("Số 123-TB/TU", "so 123-tb/tu"),
    ("\u00d0à Nẵng", "da nang"), (NFD("Thường vụ"), "thuong vu"), ("naïve résumé", "naive resume"),
])
def test_fold(text, expected):
    assert fold(text) == expected


def test_fold_keeps_length_of_nfc_text():
    text = normalize("Ban Thường vụ Thị ủy kết luận về giải phóng mặt bằng, ĐẢNG ỦY")
    assert len(fold(text)) == len(text)


def test_fold_with_offsets_maps_back_to_nfd_original():
    original = NFD("Về giải phóng mặt bằng")
    folded, offsets = fold_with_offsets(original)
    start = folded.index("mat bang")
    end = start + len("mat bang")
    span = original[offsets[start]:offsets[end - 1] + 1]
    assert unicodedata.normalize("NFC", span).startswith("mặt bằn")


def test_has_diacritics_and_normalize_line():
    assert has_diacritics("đảng") and not has_diacritics("Dang uy")
    assert normalize_line("  giải \n phóng  ") == "giải phóng"
    assert canonical_tone("ABC") == "ABC"


@pytest.mark.parametrize("text,expected", [
    ("Ủy ban, nhân dân", "uybannhandan"),
    ("2. Giao Phòng Tài chính - Kế hoạch", "2giaophongtaichinhkehoach"),
    ("  ĐẢNG_ỦY\n(xã)  ", "danguyxa"),
    ("", ""),
])
def test_squeeze_keeps_only_folded_letters_and_digits(text, expected):
    assert squeeze(text) == expected


LONG = "Ủy ban nhân dân HUYỆN Đông Hòa kết luận: giải phóng mặt bằng dự án Quốc lộ 1A. " * 4


@pytest.mark.parametrize("text", [
    LONG,  # a long text takes the table-lookup path
    LONG + "Ho\u0300a thuy\u0309",  # combining marks (NFD): deleted, as `translate` does
    LONG + "ǅemal İstanbul ß ﬁ Ω 中文 😀 \U0001d400",  # beyond the fold table, astral code points
    LONG + "\udcff",  # a lone surrogate (a file decoded with surrogateescape)
    "Đảng ủy " * 10,  # short: `translate`
])
def test_fold_of_long_text_equals_the_fold_table(text):
    from indexer.normalize import FOLD_TABLE, _FOLDED
    _FOLDED.clear()
    assert fold(text) == text.translate(FOLD_TABLE).lower()


@pytest.mark.parametrize("text", [
    "\n".join([LONG, "THÔNG BÁO", "", "Ho\u0300a thuy\u0309 (NFD)", "ǅemal İstanbul ß Σ. ΣΑΣ", "\udcff lỗi", "x"]),
    "Đảng ủy\n" * 40,
])
def test_fold_lines_remembers_each_lines_own_fold(text):
    from indexer.normalize import FOLD_TABLE, _FOLDED, fold_lines
    _FOLDED.clear()
    fold_lines(text)
    remembered = {line: _FOLDED[line] for line in text.split("\n") if line in _FOLDED}
    assert len(remembered) >= 2
    for line, folded in remembered.items():
        assert folded == line.translate(FOLD_TABLE).lower()


def test_words_remembered_as_needing_nothing_stop_at_the_bound(monkeypatch):
    from indexer import normalize as norm
    monkeypatch.setattr(norm, "MAX_REMEMBERED", 3)
    seen: set[str] = set()
    norm.remember(seen, ["a", "b"])
    norm.remember(seen, ["c", "d", "e"])
    assert seen == {"a", "b", "c"}
    norm.remember(seen, ["f"])
    assert len(seen) == 3


def test_per_token_computes_each_token_once_and_keeps_order(monkeypatch):
    from indexer import normalize as normalize_module
    calls = []

    def compute(token):
        calls.append(token)
        return token.upper()

    table = {}
    assert normalize_module.per_token(table, ["a", "b", "a"], compute) == ["A", "B", "A"]
    assert normalize_module.per_token(table, ["b", "c"], compute) == ["B", "C"]
    assert sorted(calls) == ["a", "b", "c"]
    monkeypatch.setattr(normalize_module, "MAX_REMEMBERED", 2)
    assert normalize_module.per_token(table, ["d"], compute) == ["D"]
    assert table == {"d": "D"}  # emptied past the bound, then filled again
