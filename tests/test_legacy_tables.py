"""The TCVN3 (ABC, `.VnTime`) and VNI-Windows decoders against byte values written out
from the published tables (TCVN 5712:1993 for TCVN3; VNI's own table), not from our
encoder: a wrong entry in `indexer/legacy.py` fails here, where a round trip through the
same table inverted never could."""
import pytest

from indexer.legacy import decode_tcvn3, decode_vni

# word, its bytes in TCVN3 (hex): letters outside ASCII are single bytes
# â A9 ă A8 ê AA ô AB ơ AC ư AD đ AE Đ A7 · à B5 ả B6 á B8 ạ B9 · ế D5 ệ D6 · ị DE ỉ D8
# ó E3 ộ E9 ờ EA ở EB ợ EE · ủ F1 ứ F8 ự F9 · ậ CB · ỹ FC
TCVN3 = [
    ("Thông báo", "54 68 AB 6E 67 20 62 B8 6F"),
    ("Việt Nam", "56 69 D6 74 20 4E 61 6D"),
    ("đảng", "AE B6 6E 67"),
    ("Đảng", "A7 B6 6E 67"),
    ("người", "6E 67 AD EA 69"),
    ("Hà Nội", "48 B5 20 4E E9 69"),
    ("quyết định", "71 75 79 D5 74 20 AE DE 6E 68"),
    ("ủy ban", "F1 79 20 62 61 6E"),
    ("thực hiện", "74 68 F9 63 20 68 69 D6 6E"),
    ("tỉnh", "74 D8 6E 68"),
    ("hợp tác", "68 EE 70 20 74 B8 63"),
    ("chức năng", "63 68 F8 63 20 6E A8 6E 67"),
    ("sở", "73 EB"),
    ("kỹ thuật", "6B FC 20 74 68 75 CB 74"),
]

# VNI-Windows: a base letter, then a byte for its mark (Windows-1252 glyphs):
# sắc F9 ù, huyền F8 ø, hỏi FB û, ngã F5 õ, nặng EF ï; â+tone E2/E1/E0/E5/E3/E4,
# ă+tone EA/E9/E8/FA/FC/EB; ơ F4 ô, ư F6 ö, đ F1 ñ, Đ D1 Ñ; ì EC í ED ỉ E6 ĩ F3 ị F2; ỵ EE
VNI = [
    ("Thông báo", "54 68 6F E2 6E 67 20 62 61 F9 6F"),
    ("Việt Nam", "56 69 65 E4 74 20 4E 61 6D"),
    ("Đảng", "D1 61 FB 6E 67"),
    ("người", "6E 67 F6 F4 F8 69"),
    ("Hà Nội", "48 61 F8 20 4E 6F E4 69"),
    ("quyết định", "71 75 79 65 E1 74 20 F1 F2 6E 68"),
    ("ủy ban", "75 FB 79 20 62 61 6E"),
    ("thực hiện", "74 68 F6 EF 63 20 68 69 65 E4 6E"),
    ("tỉnh", "74 E6 6E 68"),
    ("hợp tác", "68 F4 EF 70 20 74 61 F9 63"),
    ("chức năng", "63 68 F6 F9 63 20 6E 61 EA 6E 67"),
    ("sở", "73 F4 FB"),
    ("kỹ thuật", "6B 79 F5 20 74 68 75 61 E4 74"),
]


@pytest.mark.parametrize("word, hexbytes", TCVN3)
def test_tcvn3_decodes_the_published_bytes(word, hexbytes):
    assert decode_tcvn3(bytes.fromhex(hexbytes)) == word


@pytest.mark.parametrize("word, hexbytes", VNI)
def test_vni_decodes_the_published_bytes(word, hexbytes):
    assert decode_vni(bytes.fromhex(hexbytes)) == word
