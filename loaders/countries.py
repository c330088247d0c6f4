"""Countries: every ISO 3166-1 country, from the iso-codes data that pycountry ships.

Country ids are ISO alpha-3 codes (``CHN``, ``NLD``). The data is read from the
installed ``pycountry`` package, so nothing is downloaded.
"""

from __future__ import annotations

import pycountry

from loaders.base import Context, SourceInfo

SOURCE = SourceInfo(
    id="src-iso-3166-pycountry",
    publisher="Debian iso-codes project, via the pycountry package",
    title="ISO 3166-1 country codes (iso-codes, as shipped in pycountry 26.2.16)",
    url="https://salsa.debian.org/iso-codes-team/iso-codes",
    license="LGPL-2.1 (iso-codes and pycountry)",
    date="2026-02-16",
    kind="dataset",
    expected_rows={"iso3166-1": (240, 260)},
)


def load(ctx: Context) -> None:
    """Emit one ``Country`` node per ISO 3166-1 entry."""
    countries = list(pycountry.countries)
    ctx.count("iso3166-1", len(countries))
    for c in countries:
        ctx.at("pycountry:iso3166-1", int(c.numeric))
        name = getattr(c, "common_name", None) or c.name
        aliases = sorted({c.name, getattr(c, "official_name", c.name)} - {name})
        ctx.node(
            "Country",
            c.alpha_3,
            name,
            iso2=c.alpha_2,
            iso3=c.alpha_3,
            numeric=c.numeric,
            official_name=getattr(c, "official_name", None),
            aliases=aliases,
        )
