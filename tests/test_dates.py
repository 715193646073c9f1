import datetime as dt

import pytest

from indexer.dates import find_dates, parse_date, parse_iso, repair_ocr_digits

D = dt.date


@pytest.mark.parametrize("text,expected", [
    ("Ngày 08/7/2021 Ban Thường vụ", D(2021, 7, 8)),
    ("ngày 8-7-2021", D(2021, 7, 8)),
    ("ngày 08 tháng 7 năm 2021", D(2021, 7, 8)),
    ("Bến Cát, ngày 12 tháng 7 năm 2021", D(2021, 7, 12)),
    ("ngày 8 thảng 7 năm 2021", D(2021, 7, 8)),  # OCR'd tháng
    ("NGÀY 1 THÁNG 1 NĂM 2020", D(2020, 1, 1)),
    ("vào 29/02/2024", D(2024, 2, 29)),
    ("ngày 31/02/2021", None),
    ("ngày 29/02/2023", None),
    ("ngày 32/1/2021", None),
    ("ngày 1/13/2021", None),
    ("Covid-19. Năm 2021.", None),
    ("tháng 7/2021", None),  # month precision is not a day
    ("", None),
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text,expected,precision", [
    ("trong tháng 8/2021", D(2021, 8, 31), "month"),
    ("trong tháng 2 năm 2024", D(2024, 2, 29), "month"),
    ("trong quý III/2021", D(2021, 9, 30), "quarter"),
    ("quý 4 năm 2022", D(2022, 12, 31), "quarter"),
    ("quý I/2023", D(2023, 3, 31), "quarter"),
])
def test_month_and_quarter_resolve_to_last_day(text, expected, precision):
    (match,) = find_dates(text)
    assert (match.date, match.precision) == (expected, precision)


def test_day_month_needs_default_year():
    assert find_dates("trước 31/12") == []
    assert find_dates("trước 31/12", default_year=2021)[0].date == D(2021, 12, 31)


@pytest.mark.parametrize("text,expected,count", [
    ("Ngày O8/7/2O21", "Ngày 08/7/2021", 2),
    ("ngày l2/O7/2021", "ngày 12/07/2021", 2),
    ("ngày 1O thảng 8 năm 2O21", "ngày 10 thảng 8 năm 2021", 2),
    ("Ol và Il là chữ", "Ol và Il là chữ", 0),
    ("Số lượng 100 người", "Số lượng 100 người", 0),
])
def test_repair_ocr_digits(text, expected, count):
    assert repair_ocr_digits(text) == (expected, count)


@pytest.mark.parametrize("value,expected", [
    ("2021-07-08", D(2021, 7, 8)), ("2021-7-8", D(2021, 7, 8)), ("2021-07", D(2021, 7, 1)),
    ("2021", D(2021, 1, 1)), ("2021-13-45", None), ("08/07/2021", None), ("abc", None), ("", None),
])
def test_parse_iso(value, expected):
    assert parse_iso(value) == expected


@pytest.mark.parametrize("text,year,expected", [
    # a numeric date right after a digit or `/` is part of something longer
    ("112/3/2024", None, []),
    ("/12/3/2024", None, []),
    ("số 1/12/3/2024 và ngày 5/6/2021", None, [D(2021, 6, 5)]),
    ("a12/3/2024", None, [D(2024, 3, 12)]),
    ("1 12/3/2024", None, [D(2024, 3, 12)]),
    ("12/3/20245 rồi 1/2/2020", None, [D(2020, 2, 1)]),
    # the scan goes on from the next character after a match it drops
    ("112/3 và 4/5", 2024, [D(2024, 5, 4)]),
    ("/1 / 2 / 3", 2024, [D(2024, 3, 2)]),  # `1 / 2` is dropped; `2 / 3` starts inside it
    ("31/12/2024/5/6/2023", None, []),
    ("ngày 3/4", None, []),
    ("ngày 3/4", 2024, [D(2024, 4, 3)]),
])
def test_numeric_dates_do_not_start_after_a_digit_or_slash(text, year, expected):
    assert [m.date for m in find_dates(text, default_year=year)] == expected
