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
from functools import cache

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
