"""What several list loaders share: country names to ISO codes, and name cleaning.

Lists name countries as they please ("Burma", "Korea, North", "People's
Republic of China", "Crimea Region of Ukraine", "UK"). :func:`country_code`
maps each to the ISO 3166-1 alpha-3 id of our ``Country`` nodes, or None when
the text is not a country ("Middle East Region", "Fishing Vessels"), so the
loader can report it rather than invent one.

>>> [country_code(x) for x in ("China", "Burma", "Korea, North", "UK", "Turkey (Turkiye)", "CN", "Atlantis")]
['CHN', 'MMR', 'PRK', 'GBR', 'TUR', 'CHN', None]
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

import pycountry

# Names lists use that pycountry does not know, each checked by hand against ISO 3166-1.
_VARIANTS = {
    "burma": "MMR",
    "north korea": "PRK",
    "korea north": "PRK",
    "korea dprk": "PRK",
    "north korea dprk": "PRK",
    "dprk": "PRK",
    "democratic people s republic of korea": "PRK",
    "south korea": "KOR",
    "korea south": "KOR",
    "republic of korea": "KOR",
    "korea": "KOR",
    "people s republic of china": "CHN",
    "peoples republic of china": "CHN",
    "prc": "CHN",
    "china prc": "CHN",
    "russia": "RUS",
    "russian federation": "RUS",
    "iran": "IRN",
    "syria": "SYR",
    "uk": "GBR",
    "great britain": "GBR",
    "england": "GBR",
    "united states": "USA",
    "usa": "USA",
    "us": "USA",
    "turkey turkiye": "TUR",
    "turkiye": "TUR",
    "turkey": "TUR",
    "taiwan": "TWN",
    "vietnam": "VNM",
    "laos": "LAO",
    "moldova": "MDA",
    "macedonia": "MKD",
    "czech republic": "CZE",
    "bolivia": "BOL",
    "venezuela": "VEN",
    "tanzania": "TZA",
    "democratic republic of congo": "COD",
    "democratic republic of the congo": "COD",
    "congo democratic republic of the": "COD",
    "republic of the congo": "COG",
    "cote d ivoire": "CIV",
    "ivory coast": "CIV",
    "palestinian territories": "PSE",
    "state of palestine": "PSE",
    "palestinian": "PSE",  # OFAC's country field for addresses in the West Bank and Gaza
    "region gaza": "PSE",
    "west bank": "PSE",
    "gaza": "PSE",
    "kosovo": "XKX",
    "crimea region of ukraine": "UKR",
    "crimea": "UKR",
    "hong kong": "HKG",
    "macau": "MAC",
    "macao": "MAC",
    "brunei": "BRN",
    "cape verde": "CPV",
    "east timor": "TLS",
    "vatican": "VAT",
    "holy see": "VAT",
    "micronesia": "FSM",
    "st kitts and nevis": "KNA",
    "st lucia": "LCA",
    "st vincent and the grenadines": "VCT",
    "the bahamas": "BHS",
    "the gambia": "GMB",
    "netherlands antilles": "ANT",
    "curacao": "CUW",
    "british virgin islands": "VGB",
}


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded.lower()).split())


@cache
def _table() -> dict[str, str]:
    table: dict[str, str] = {}
    for c in pycountry.countries:
        for name in (c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)):
            if name:
                table.setdefault(_key(name), c.alpha_3)
        table.setdefault(c.alpha_2.lower(), c.alpha_3)
        table.setdefault(c.alpha_3.lower(), c.alpha_3)
    table.update(_VARIANTS)
    return table


@lru_cache(maxsize=8192)
def country_code(text: str | None) -> str | None:
    """The ISO 3166-1 alpha-3 code of a country as a list writes it (name, ISO2 or ISO3), or None."""
    if not text or not text.strip():
        return None
    key = _key(text)
    if key in _table():
        return _table()[key]
    # "Iran, Islamic Republic of" and similar: the part before the comma, then the words reversed.
    head, _, tail = key.partition(" ")
    for candidate in (_key(text.split(",")[0]), f"{_key(text.split(',')[-1])} {_key(text.split(',')[0])}"):
        if candidate in _table():
            return _table()[candidate]
    del head, tail
    return None


def clean_name(text: str) -> str:
    """A published name with its whitespace made single and stray quotes and trailing dots of lists removed."""
    return " ".join(text.replace("\u00a0", " ").split()).strip()


# -- dates and Federal Register citations, as US lists write them --------------------------------
_MONTHS = {
    m: i
    for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)
}
_DATE = (
    r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}|"
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d{4}|\d{1,2} [A-Z][a-z]{2,8}\.? \d{4}"
)
_FR = re.compile(
    r"(?P<vol>\d{1,3})\s*F\.?\s?R\.?\s*(?P<page>\d{1,3}(?:,\d{3})+|\d+)"
    r"(?:[\s,.(]*(?:preview citation details,?\s*)?(?P<date>" + _DATE + r"))?"
)
_FR_VOL_NO = re.compile(
    r"Vol\.\s*(?P<vol>\d{1,3}),?\s*No\.\s*(?P<no>\d+),?\s*(?:P(?P<page>\d+),?\s*)?(?P<date>" + _DATE + r")?"
)


def us_date(text: str | None) -> str | None:
    """A date as US lists write it, in ISO form; None when blank or unreadable.

    Two-digit years before 36 are 20xx (the Federal Register began in 1936).

    >>> [us_date(x) for x in ("5/21/19", "12/17/10", "3/30/81", "2026-06-10", "June 21, 2022", "03 Jun 2021", "13/40/20", "")]
    ['2019-05-21', '2010-12-17', '1981-03-30', '2026-06-10', '2022-06-21', '2021-06-03', None, None]
    """
    import datetime as dt

    if not text or not text.strip():
        return None
    s = text.strip().rstrip(".")
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", s):
            return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", s):
            year = int(m[3])
            if len(m[3]) == 2:
                year += 1900 if year >= 36 else 2000
            return dt.date(year, int(m[1]), int(m[2])).isoformat()
        if m := re.fullmatch(r"([A-Za-z]{3})[a-z]*\.? (\d{1,2}), (\d{4})", s):
            return dt.date(int(m[3]), _MONTHS[m[1].lower()], int(m[2])).isoformat()
        if m := re.fullmatch(r"(\d{1,2}) ([A-Za-z]{3})[a-z]*\.? (\d{4})", s):
            return dt.date(int(m[3]), _MONTHS[m[2].lower()], int(m[1])).isoformat()
    except (KeyError, ValueError):
        return None
    return None


def fr_citations(text: str | None) -> list[tuple[str, str | None]]:
    """Every Federal Register citation in a text, as ("84 FR 22961", ISO date or None), oldest first.

    Oldest is by volume and page, which the Federal Register numbers in order of publication.

    >>> fr_citations("85 FR 51603, 8/20/20.\\n84 FR 22963, 5/21/19; 86 FR 67319")
    [('84 FR 22963', '2019-05-21'), ('85 FR 51603', '2020-08-20'), ('86 FR 67319', None)]
    >>> fr_citations("46 F.R. 46154 9/17/81 and 46 F.R. 19290 3/30/81")
    [('46 FR 19290', '1981-03-30'), ('46 FR 46154', '1981-09-17')]
    >>> fr_citations("91 FR 35189 (June 10, 2026)"), fr_citations("Vol. 86, No. 51, 03/18/21, Federal Register")
    ([('91 FR 35189', '2026-06-10')], [('86 FR No. 51', '2021-03-18')])
    >>> fr_citations("Vol. 74, No. 11 01/16/09, Federal Register"), fr_citations("Vol. 57, No. 130, P29924, 07/07/92")
    ([('74 FR No. 11', '2009-01-16')], [('57 FR 29924', '1992-07-07')])
    """
    if not text:
        return []
    found: dict[tuple[int, int], tuple[str, str | None]] = {}
    for m in _FR.finditer(text):
        vol, page = int(m["vol"]), int(m["page"].replace(",", ""))
        date = us_date(m["date"])
        if (vol, page) not in found or found[(vol, page)][1] is None:
            found[(vol, page)] = (f"{vol} FR {page}", date)
    for m in _FR_VOL_NO.finditer(text):
        # The State Department cites an issue, often without its page: order those by issue number.
        vol, no, date = int(m["vol"]), int(m["no"]), us_date(m["date"])
        if m["page"]:
            found.setdefault((vol, int(m["page"])), (f"{vol} FR {int(m['page'])}", date))
        else:
            found.setdefault((vol, -1000 + no), (f"{vol} FR No. {no}", date))
    return [found[k] for k in sorted(found)]


def ear_footnotes(requirement: str | None) -> list[str]:
    """Entity List footnote numbers marked in a licence requirement, as the eCFR text flattens them.

    The superscript becomes a digit after a section ("734.9(g),3", "734.9(e) 1") or at the end.

    >>> ear_footnotes("For all items subject to the EAR, see §§ 734.9(e) 1 and 744.11 of the EAR 2")
    ['1', '2']
    >>> ear_footnotes("For all items subject to the EAR. (See §§ 734.9(g),3 746.8(a)(3), and 744.21(b) of the EAR)")
    ['3']
    >>> ear_footnotes("For all items subject to the EAR. (See §§ 734.9(e)(2) and 744.11 of the EAR)4"), ear_footnotes("(See § 744.11 of the EAR)")
    (['4'], [])
    """
    if not requirement:
        return []
    marks = re.findall(r"\),?\s?([1-9])(?=[\s,;.]|$)", requirement)
    marks += re.findall(r"\bEAR\.?\)?\s([1-9])$", requirement.strip())
    return sorted(set(marks))


# -- ownership shares, as registers and lists write them -----------------------------------------
_PCT = r"(\d{1,3}(?:[.,]\d+)?)\s*%?"


def share_props(text: str | float | None) -> dict[str, object] | None:
    """An ownership share as the properties of an ``OWNS`` edge, or None when the text is not a share.

    An exact share sets ``share`` and a range of width zero; a band sets ``share_min`` and
    ``share_max``, with ``share_min_exclusive``/``share_max_exclusive`` when a bound is excluded
    ("more than 25%"); blank text is an unknown share (``{}``: all null, read as 0 to 100).

    >>> share_props("50%"), share_props("25-50%")
    ({'share': 50.0, 'share_min': 50.0, 'share_max': 50.0}, {'share_min': 25.0, 'share_max': 50.0})
    >>> share_props("more than 25% but not more than 50%"), share_props(">75")
    ({'share_min': 25.0, 'share_max': 50.0, 'share_min_exclusive': True}, {'share_min': 75.0, 'share_max': 100.0, 'share_min_exclusive': True})
    >>> share_props(""), share_props("majority"), share_props("120")
    ({}, None, None)
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return {}
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
        return {"share": value, "share_min": value, "share_max": value} if 0 <= value <= 100 else None
    s = " ".join(str(text).lower().replace(",", ".").split())
    out: dict[str, object] | None = None
    if m := re.fullmatch(_PCT, s):
        v = float(m[1])
        out = {"share": v, "share_min": v, "share_max": v}
    elif m := re.fullmatch(_PCT + r"\s*(?:-|–|to)\s*" + _PCT, s):
        out = {"share_min": float(m[1]), "share_max": float(m[2])}
    elif m := re.fullmatch(r"more than " + _PCT + r" but (not more than|less than) " + _PCT, s):
        out = {"share_min": float(m[1]), "share_max": float(m[3]), "share_min_exclusive": True}
        if m[2] == "less than":
            out["share_max_exclusive"] = True
    elif m := re.fullmatch(r"(>=?|≥|more than|over|at least|<=?|≤|less than|under|up to)\s*" + _PCT, s):
        v, op = float(m[2]), m[1]
        if op in (">", "more than", "over", ">=", "≥", "at least"):
            out = {"share_min": v, "share_max": 100.0}
            if op in (">", "more than", "over"):
                out["share_min_exclusive"] = True
        else:
            out = {"share_min": 0.0, "share_max": v}
            if op in ("<", "less than", "under"):
                out["share_max_exclusive"] = True
    if out is None:
        return None
    bounds = [float(v) for k, v in out.items() if k in ("share", "share_min", "share_max")]  # type: ignore[arg-type]
    if any(not 0 <= b <= 100 for b in bounds) or float(out["share_min"]) > float(out["share_max"]):  # type: ignore[arg-type]
        return None
    return out
