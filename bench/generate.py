"""Writes N realistic conclusion notices as files, deterministic for a seed.

    python bench/generate.py OUT_DIR --count 10000 [--seed 1]

Varied issuers (Tỉnh ủy, Huyện ủy, Thị ủy, Thành ủy, Quận ủy, Đảng ủy xã/phường,
UBND at each level) over many localities, dates 2010–2026, 2–15 items with sub-items,
addressees and deadlines, topic vocabulary from the taxonomy; a share without header,
with OCR noise, in NFD, with old tone marks, in TCVN3/VNI/Windows-1258/UTF-16, and as
hOCR, ALTO and .docx. Vocabulary written for the project; nothing external.
"""
from __future__ import annotations

import argparse
import random
import sys
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from formats import alto, cp1258, docx, hocr, nfd  # noqa: E402
from indexer.legacy import encode_tcvn3, encode_vni  # noqa: E402
from indexer.topics import DEFAULT_TAXONOMY  # noqa: E402

PROVINCES = ["Bình Dương", "Đồng Nai", "Quảng Nam", "Nghệ An", "Thái Bình", "Hòa Bình", "Khánh Hòa", "Lâm Đồng",
             "Long An", "Bắc Giang", "Hà Tĩnh", "Phú Yên", "Tây Ninh", "Vĩnh Long", "Sóc Trăng", "Yên Bái"]
DISTRICTS = ["Bến Cát", "Long Thành", "Điện Bàn", "Nghi Lộc", "Kiến Xương", "Lạc Thủy", "Ninh Hòa", "Đức Trọng",
             "Cần Giuộc", "Lục Nam", "Can Lộc", "Tuy An", "Gò Dầu", "Tam Bình", "Mỹ Xuyên", "Văn Yên", "Phú Giáo",
             "Trảng Bom", "Duy Xuyên", "Diễn Châu", "Tiền Hải", "Kim Bôi", "Cam Lâm", "Di Linh"]
COMMUNES = ["Xuân Lai", "Tân Hòa", "Phú Lợi", "An Bình", "Hòa Lợi", "Tân Định", "Bình Minh", "Hiệp Thành",
            "Long Phước", "Phước Tân", "Thạnh Phú", "Mỹ Hòa", "Đông Hòa", "Tân Lập", "Quảng Phú", "Nghĩa Đàn"]
NAMES = ["Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Minh Tuấn", "Phạm Quốc Hùng", "Hoàng Thị Thu", "Võ Thanh Bình",
         "Đặng Văn Lâm", "Bùi Thị Hạnh", "Đỗ Quang Vinh", "Ngô Thị Mai", "Huỳnh Tấn Phát", "Lâm Minh Thế"]
VERBS = ["tập trung chỉ đạo", "khẩn trương", "tăng cường", "rà soát", "chủ động", "đẩy mạnh", "triển khai",
         "phối hợp thực hiện", "nâng cao chất lượng", "tiếp tục thực hiện tốt", "kiên quyết xử lý", "chỉ đạo quyết liệt"]
OBJECTS = ["trên địa bàn", "theo kế hoạch đề ra", "đúng quy định", "bảo đảm tiến độ", "tại các xã, thị trấn",
           "đối với các trường hợp còn tồn đọng", "trong thời gian tới", "gắn với trách nhiệm người đứng đầu",
           "có hiệu quả", "nhằm tháo gỡ khó khăn, vướng mắc"]
VERSION = "2"  # bench/run.py regenerates archives written by another version
CITING = 0.3  # notices whose preamble cites an earlier notice by number, date and issuer
COPIES = 0.03  # files followed by a copy of a recent notice in another file
OCR_SWAPS = [("0", "O"), ("1", "l"), ("đ", "d"), ("ư", "u"), ("ơ", "o"), ("ê", "e")]
OLD_TONES = [("òa", "oà"), ("óa", "oá"), ("ỏa", "oả"), ("õa", "oã"), ("ọa", "oạ"), ("ủy", "uỷ"), ("úy", "uý"),
             ("ùy", "uỳ"), ("ụy", "uỵ"), ("òe", "oè"), ("óe", "oé")]


def topic_phrases() -> dict[str, list[str]]:
    data = tomllib.loads(DEFAULT_TAXONOMY.read_text(encoding="utf-8"))
    return {t["id"]: [m.lstrip("=") for m in t["match"] if len(m) > 4 and not m.isupper()] for t in data["topic"]}


class Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.topics = topic_phrases()
        self.earlier: list[tuple[str, str, str]] = []  # (number, date, body) of notices written so far

    def issuer(self) -> tuple[str, str, str, str, str]:
        """(header line 1, header line 2, meeting body, number suffix, place)."""
        r = self.rng
        province, district, commune = r.choice(PROVINCES), r.choice(DISTRICTS), r.choice(COMMUNES)
        kind = r.choice(["tinh", "huyen", "thi", "thanh", "quan", "xa", "phuong", "ubnd_tinh", "ubnd_huyen", "ubnd_xa"])
        table = {
            "tinh": (f"ĐẢNG BỘ TỈNH {province.upper()}", f"TỈNH ỦY {province.upper()}", "Ban Thường vụ Tỉnh ủy", "TB/TU", province),
            "huyen": (f"ĐẢNG BỘ TỈNH {province.upper()}", f"HUYỆN ỦY {district.upper()}", "Ban Thường vụ Huyện ủy", "TB/HU", district),
            "thi": (f"ĐẢNG BỘ TỈNH {province.upper()}", f"THỊ ỦY {district.upper()}", "Ban Thường vụ Thị ủy", "TB/TU", district),
            "thanh": (f"ĐẢNG BỘ TỈNH {province.upper()}", f"THÀNH ỦY {district.upper()}", "Thường trực Thành ủy", "TB/TU", district),
            "quan": (f"ĐẢNG BỘ THÀNH PHỐ {province.upper()}", f"QUẬN ỦY {district.upper()}", "Ban Thường vụ Quận ủy", "TB/QU", district),
            "xa": (f"ĐẢNG BỘ HUYỆN {district.upper()}", f"ĐẢNG ỦY XÃ {commune.upper()}", "Thường trực Đảng ủy", "TB/ĐU", commune),
            "phuong": (f"ĐẢNG BỘ THỊ XÃ {district.upper()}", f"ĐẢNG ỦY PHƯỜNG {commune.upper()}", "Ban Thường vụ Đảng ủy phường", "TB/ĐU", commune),
            "ubnd_tinh": ("ỦY BAN NHÂN DÂN", f"TỈNH {province.upper()}", "Chủ tịch Ủy ban nhân dân tỉnh", "TB-UBND", province),
            "ubnd_huyen": ("ỦY BAN NHÂN DÂN", f"HUYỆN {district.upper()}", "Chủ tịch Ủy ban nhân dân huyện", "TB-UBND", district),
            "ubnd_xa": ("ỦY BAN NHÂN DÂN", f"XÃ {commune.upper()}", "Chủ tịch Ủy ban nhân dân xã", "TB-UBND", commune),
        }
        return table[kind]

    def addressee(self, level_word: str) -> str:
        return self.rng.choice([
            f"Ủy ban nhân dân {level_word}", f"UBND {level_word}", "Ủy ban nhân dân các xã, thị trấn",
            f"Ủy ban Mặt trận Tổ quốc Việt Nam {level_word}", "Mặt trận Tổ quốc và các đoàn thể",
            f"Ban Tuyên giáo {level_word.capitalize()} ủy", f"Ban Tổ chức {level_word.capitalize()} ủy",
            f"Ủy ban Kiểm tra {level_word.capitalize()} ủy", "Các chi bộ, đảng bộ trực thuộc",
            f"Công an {level_word}", f"Ban Chỉ huy Quân sự {level_word}", "Phòng Tài chính - Kế hoạch",
            "Phòng Tài nguyên và Môi trường", "Phòng Giáo dục và Đào tạo", f"Trung tâm Y tế {level_word}",
            f"Văn phòng {level_word.capitalize()} ủy", "Ban Quản lý dự án đầu tư xây dựng khu vực",
        ])

    def deadline(self, year: int) -> str:
        r = self.rng
        month = r.randint(1, 12)
        day = r.randint(1, 28)
        return r.choice([
            f", hoàn thành trước ngày {day}/{month}/{year}", f", báo cáo kết quả chậm nhất ngày {day}/{month}/{year}",
            f", hoàn thành trong tháng {month}/{year}", f", hoàn thành trong quý {r.choice(['I', 'II', 'III', 'IV'])}/{year}",
            ", hoàn thành trước 31/12", "", "", "",
        ])

    def item(self, year: int, level_word: str) -> str:
        r = self.rng
        topic = r.choice(list(self.topics))
        phrase = r.choice(self.topics[topic] or ["công tác chuyên môn"])
        who = self.addressee(level_word)
        lead = r.choice([f"Giao {who} {r.choice(VERBS)}", f"{who} {r.choice(VERBS)}", f"Đề nghị {who} {r.choice(VERBS)}"])
        text = f"{lead} công tác {phrase} {r.choice(OBJECTS)}{self.deadline(year)}."
        if r.random() < 0.2:
            subs = [f"{chr(97 + i)}) {self.addressee(level_word)} {r.choice(VERBS)} {r.choice(self.topics[topic] or ['nhiệm vụ'])}."
                    for i in range(r.randint(2, 3))]
            text += "\n" + "\n".join(subs)
        return text

    def notice(self, n: int) -> str:
        r = self.rng
        line1, line2, body, suffix, place = self.issuer()
        level_word = {"TB/TU": "tỉnh", "TB/HU": "huyện", "TB/QU": "quận", "TB/ĐU": "xã", "TB-UBND": "huyện"}[suffix]
        year = r.randint(2010, 2026)
        month, day = r.randint(1, 12), r.randint(1, 28)
        meeting_day = max(1, day - r.randint(0, 5))
        name = r.choice(NAMES)
        topic = r.choice(list(self.topics))
        subject = r.choice(self.topics[topic] or ["công tác chuyên môn"])
        number = f"{n % 997 + 1}-{suffix}" if "/" in suffix else f"{n % 997 + 1}/{suffix}"
        cites = ""
        if self.earlier and r.random() < CITING:
            cited_number, cited_date, cited_body = r.choice(self.earlier)
            cites = f"Thực hiện Thông báo số {cited_number} ngày {cited_date} của {cited_body}, "
        self.earlier.append((number, f"{day}/{month}/{year}", body))
        if len(self.earlier) > 2000:
            del self.earlier[:1000]
        header = (f"{line1}                      ĐẢNG CỘNG SẢN VIỆT NAM\n{line2}\n"
                  f"Số {number}                    {place}, ngày {day} tháng {month} năm {year}\n\n")
        items = "\n".join(f"{i}. {self.item(year, level_word)}" for i in range(1, r.randint(2, 15) + 1))
        text = (f"THÔNG BÁO\nkết luận của {body} về {subject} năm {year}\n-----\n\n"
                f"{cites}Ngày {meeting_day}/{month}/{year}, {body} họp nghe báo cáo về {subject}. Sau khi nghe báo cáo và ý kiến "
                f"của các đồng chí dự họp, đồng chí {name} chủ trì hội nghị kết luận như sau:\n\n{items}\n\n"
                f"Nơi nhận:                                    T/M BAN THƯỜNG VỤ\n"
                f"- Như trên,                                  PHÓ BÍ THƯ\n- Lưu Văn phòng.\n"
                f"                                             {name}\n")
        return (header if r.random() < 0.85 else "") + text

    def variant(self, text: str) -> tuple[str, bytes]:
        """(extension, bytes): most notices plain UTF-8, some noisy, old-toned, NFD,
        legacy-encoded or in a scanner/office format."""
        r = self.rng
        roll = r.random()
        if roll < 0.05:
            for a, b in r.sample(OCR_SWAPS, 2):
                text = "".join(b if ch == a and r.random() < 0.05 else ch for ch in text)
        elif roll < 0.10:
            for a, b in OLD_TONES:
                text = text.replace(a, b)
        form = r.random()
        if form < 0.03:
            return "txt", encode_tcvn3(text)
        if form < 0.06:
            return "txt", encode_vni(text)
        if form < 0.08:
            return "txt", cp1258(text)
        if form < 0.10:
            return "txt", text.encode("utf-16")
        if form < 0.13:
            return "txt", nfd(text).encode("utf-8")
        if form < 0.16:
            return "hocr", hocr(text).encode("utf-8")
        if form < 0.18:
            return "xml", alto(text).encode("utf-8")
        if form < 0.20:
            return "docx", docx(text)
        return "txt", text.encode("utf-8")


def generate(out: Path, count: int, seed: int = 1, per_file_two: float = 0.03) -> int:
    """Writes `count` notices under `out` (100 per folder); a few files hold two.
    Returns the bytes written."""
    gen = Generator(seed)
    recent: list[str] = []
    total = 0
    n = 0
    while n < count:
        text = gen.notice(n)
        n += 1
        if n < count and gen.rng.random() < per_file_two:
            text += "\n\n" + gen.notice(n)
            n += 1
        ext, data = gen.variant(text)
        folder = out / f"{(n - 1) // 100:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"tb_{n:06d}.{ext}").write_bytes(data)
        total += len(data)
        recent.append(text)
        if gen.rng.random() < COPIES:  # the same notice again, in another format (its scan, the portal's copy)
            ext, data = gen.variant(gen.rng.choice(recent[-500:]))
            (folder / f"tb_{n:06d}_ban_sao.{ext}").write_bytes(data)
            total += len(data)
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    size = generate(args.out, args.count, args.seed)
    print(f"{args.count} notices, {size / 1e6:.1f} MB in {args.out}")


if __name__ == "__main__":
    main()
