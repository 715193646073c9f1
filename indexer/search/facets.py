"""Facet counts over the matching documents, exact: `np.bincount` over each field's
value codes (built once per index generation)."""
from __future__ import annotations

import numpy as np

FACET_FIELDS = {"issuer": "issuer", "level": "level", "topic": "topics", "type": "doc_type", "year": "year",
                "addressee": "addressees", "presiding": "presiding"}
UNKNOWN = "(không rõ)"  # documents without a value, in the issuer facet


# Fewer matching documents than a field's pairs / SPARSE: their values are looked up
# (a binary search each) instead of masking every pair of the field.
SPARSE = 16


def counts(snap, matching: np.ndarray, kind: str) -> dict[str, dict[str, int]]:
    """Facet name → {value: documents}, most frequent first. `matching`: bool per
    document, all of one kind ("notice" or "item": only that kind's values are read)."""
    out = {}
    chosen = np.flatnonzero(matching)
    for name, fieldname in FACET_FIELDS.items():
        if fieldname == "year":
            years = snap.column("year")[chosen]
            years = years[(years > 0) & (years < 10_000)]
            values, n = np.unique(years, return_counts=True)
            found = {str(v): int(c) for v, c in zip(values, n)}
        else:
            keyword = snap.keyword(fieldname, kind)
            if len(chosen) * SPARSE < len(keyword.docs):
                codes = keyword.codes_of(chosen)
            else:
                codes = keyword.codes[matching[keyword.docs]]
            n = np.bincount(codes, minlength=len(keyword.values))
            found = {keyword.values[i]: int(n[i]) for i in np.nonzero(n)[0]}
            if name == "addressee" or name == "presiding":  # commas in names were stored as semicolons
                found = {k.replace(";", ","): v for k, v in found.items()}
            if name == "issuer":
                missing = len(chosen) - len(codes)  # one issuer a document at most
                if missing > 0:
                    found[UNKNOWN] = missing
        out[name] = dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))
    return out
