"""What may go into a facet: the rules the parser's fields are held to before a user
clicks them. An issuing body is the name of a body (never a national motto line, a
number fragment or a place alone); a recipient is one recipient; topics are few."""
from __future__ import annotations

import re

from .bodies import AGENCY_HEADS
from .model import Notice
from .normalize import fold

MAX_RECIPIENT_CHARS = 160
# words that make a name the name of a body (folded, lower case, whole words)
_BODY_WORDS = re.compile(
    r"\b(uy ban|hoi dong|dang uy|tinh uy|thanh uy|thi uy|huyen uy|quan uy|dang bo|chi bo|ban|van phong|bo|so|"
    r"chinh phu|quoc hoi|mat tran|cong an|toa an|vien kiem sat|phong|cuc|tong cuc|thu tuong|chu tich|"
    r"ban can su|doan|hoi|lien doan|thuong truc|thuong vu|ubnd|hdnd|ubmttq)\b")
_NOT_A_BODY = re.compile(r"\b(cong hoa|xa hoi chu nghia|doc lap|tu do|hanh phuc|dang cong san viet nam)\b")
_SIGNATURE = re.compile(r"^(t/m|tm\.?|kt\.?|tl\.?|tuq\.?)\s|\((da )?ky|\bky boi\b|\bngay ky\b")


# An agency named with its parent's full name after it (`Sở … Ủy ban nhân dân tỉnh …`):
# two bodies in one name; an agency is named with its place (`Sở … tỉnh Quảng Trị`).
_AGENCY_WITH_PARENT = re.compile(r"^(" + "|".join(" ".join(head) for head in AGENCY_HEADS) +
                                 r")\b.*\b(uy ban nhan dan|hoi dong nhan dan|ubnd|hdnd)\b")


def names_a_body(name: str) -> bool:
    folded = fold(name).lower()
    return bool(name.strip()) and bool(_BODY_WORDS.search(folded)) and not _NOT_A_BODY.search(folded) \
        and not re.search(r"\d|/", folded) and not _AGENCY_WITH_PARENT.search(folded)


def is_one_recipient(text: str) -> bool:
    folded = fold(text).lower().strip()
    return bool(folded) and "|" not in text and "\t" not in text and len(text) <= MAX_RECIPIENT_CHARS \
        and not _SIGNATURE.search(folded)


def facet_problems(notice: Notice) -> list[str]:
    """Each way the notice breaks the facet rules (empty: clean)."""
    problems = []
    issuer = notice.issuer_canonical or notice.issuer
    if issuer and not names_a_body(issuer):
        problems.append(f"issuer is not a body: {issuer!r}")
    if not issuer and "no_issuer" not in notice.warnings:
        problems.append("no issuer and no warning")
    problems += [f"recipient is not one recipient: {r!r}" for r in notice.recipients if not is_one_recipient(r)]
    for item in notice.items:
        problems += [f"addressee is not one body: {a!r}" for a in item.addressees if not is_one_recipient(a)]
    if len(notice.topics) > 6 or any(len(i.topics) > 5 for i in notice.items):
        problems.append("too many topics")
    return problems
