"""Who must do what, by when: addressees and deadlines of items."""
import datetime as dt
import sys
from pathlib import Path

import pytest

from indexer.bodies import canonical_addressee, canonical_body
from indexer.parse import find_addressees, find_deadline

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import assignment_quality  # noqa: E402


@pytest.mark.parametrize("name, canonical", [
    ("UBND thị xã", "Ủy ban nhân dân thị xã"),
    ("Ủy ban nhân dân thị xã", "Ủy ban nhân dân thị xã"),
    ("UBMTTQVN huyện", "Ủy ban Mặt trận Tổ quốc Việt Nam huyện"),
    ("HĐND xã", "Hội đồng nhân dân xã"),
    ("BQL dự án khu vực", "Ban Quản lý dự án khu vực"),
    ("đồng chí Chủ tịch UBND huyện", "Chủ tịch Ủy ban nhân dân huyện"),
    ("các chi bộ trực thuộc", "Các chi bộ trực thuộc"),
    ("Phòng Quản lý đô thị", "Phòng Quản lý đô thị"),   # `Quản` is not the level word `quận`
    ("Huyện đoàn", "Huyện đoàn"),
])
def test_canonical_addressee(name, canonical):
    assert canonical_addressee(name) == canonical


def test_typed_without_diacritics_still_canonical():
    assert canonical_body("Huyen uy Ben Cat") == "Huyện ủy Ben Cat"


@pytest.mark.parametrize("text, expected", [
    ("Giao UBND thị xã, Ban Tuyên giáo Thị ủy phối hợp thực hiện.", ["Ủy ban nhân dân thị xã", "Ban Tuyên giáo Thị ủy"]),
    ("Mặt trận Tổ quốc và các đoàn thể vận động nhân dân.", ["Mặt trận Tổ quốc", "Các đoàn thể"]),
    ("Giao Sở Tài nguyên và Môi trường chủ trì.", ["Sở Tài nguyên và Môi trường"]),
    ("Ban Thường vụ thống nhất điều động đồng chí A.", []),
    ("Giao UBND các phường: An Phú, Bình Hòa ra quân.", ["Ủy ban nhân dân các phường"]),
    ("Phân công đồng chí Phó Chủ tịch UBND huyện chủ trì.", ["Phó Chủ tịch Ủy ban nhân dân huyện"]),
])
def test_addressees(text, expected):
    assert find_addressees(text) == expected


@pytest.mark.parametrize("text, year, date, phrase", [
    ("hoàn thành trước ngày 30/9/2021.", 2021, "2021-09-30", "trước ngày 30/9/2021"),
    ("báo cáo chậm nhất ngày 15/10/2024.", 2024, "2024-10-15", "chậm nhất ngày 15/10/2024"),
    ("hoàn thành trong tháng 8/2021.", 2021, "2021-08-31", "trong tháng 8/2021"),
    ("hoàn thành trong quý III/2021.", 2021, "2021-09-30", "trong quý III/2021"),
    ("hoàn thành trước 31/12.", 2024, "2024-12-31", "trước 31/12"),
    ("bố trí kinh phí trong năm 2022.", 2022, "2022-12-31", "trong năm 2022"),
    ("xong trước ngày 15 tháng 4 năm 2025.", 2025, "2025-04-15", None),
    ("thực hiện thường xuyên.", 2024, None, None),
])
def test_deadlines(text, year, date, phrase):
    deadline = find_deadline(text, year)
    if date is None:
        assert deadline is None
        return
    assert deadline.date == dt.date.fromisoformat(date)
    if phrase:
        assert deadline.text == phrase


@pytest.mark.parametrize("path", [assignment_quality.TUNING, assignment_quality.HELD_OUT])
def test_accuracy_on_the_labelled_items(path):
    result = assignment_quality.evaluate(path)
    assert result["items"] >= 20
    assert result["addressee_precision"] >= 0.9 and result["addressee_recall"] >= 0.85, result["errors"]
    assert result["deadline_accuracy"] >= 0.9, result["errors"]
