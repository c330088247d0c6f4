"""An offline world map of Belt and Road countries, shaded by licensing exposure.

The shapes are Natural Earth's 1:110m countries as published by the
``world-atlas`` package (ISC licence, in ``data/geo/``), inlined in the chart,
so the map draws with no tile or topojson download. Countries are joined by
ISO 3166 numeric code to the graph's ISO3 ids.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

import altair as alt
import networkx as nx
import pandas as pd
import pycountry

from graph.analytics.licensing import bri_memberships, licensing_by_country

WORLD = Path(__file__).resolve().parent.parent / "data" / "geo" / "countries-110m.json"


@cache
def world() -> dict[str, Any]:
    """The world-atlas topojson, read once."""
    return json.loads(WORLD.read_text(encoding="utf-8"))


def licensing_table(g: nx.MultiDiGraph) -> pd.DataFrame:
    """Every country in the graph with its Belt and Road membership (and its confidence) and its licensees of listed licensors."""
    members = bri_memberships(g)
    ties = {c.country: c for c in licensing_by_country(g) if c.country}
    rows = []
    for node, data in g.nodes(data=True):
        if data.get("label") != "Country":
            continue
        found = pycountry.countries.get(alpha_3=node)
        tie = ties.get(node)
        rows.append(
            {
                "iso3": node,
                "numeric": found.numeric if found else None,
                "country": data.get("name", node),
                "bri_member": node in members,
                "bri_confidence": members[node][0] if node in members else None,
                "bri_note": members[node][1] if node in members else None,
                "licensees": len(tie.licensees) if tie else 0,
                "names": ", ".join(g.nodes[x].get("name", x) for x in tie.licensees) if tie else "",
            }
        )
    return pd.DataFrame(rows).sort_values(["licensees", "country"], ascending=[False, True])


def licensing_map(g: nx.MultiDiGraph, as_of: dt.date) -> tuple[alt.LayerChart, pd.DataFrame]:
    """The choropleth (members shaded by how many licensees of listed licensors they host) and its table."""
    table = licensing_table(g)
    lookup = table.dropna(subset=["numeric"]).assign(
        status=lambda t: [
            ("Belt and Road member" + (" (low confidence)" if c == "low" else "")) if m else "not a member"
            for m, c in zip(t["bri_member"], t["bri_confidence"], strict=True)
        ]
    )
    shapes = alt.Data(values=world(), format=alt.DataFormat(feature="countries", type="topojson"))
    base = alt.Chart(shapes).mark_geoshape(stroke="#ffffff", strokeWidth=0.4).project("equalEarth")
    chart = base.transform_lookup(
        lookup="id",
        from_=alt.LookupData(lookup, "numeric", ["country", "bri_member", "licensees", "names", "status", "bri_note"]),
    ).encode(
        color=alt.condition(
            "datum.bri_member",
            alt.Color("licensees:Q", scale=alt.Scale(scheme="orangered", domainMin=0), title="Licensees"),
            alt.value("#D5D8DC"),
        ),
        tooltip=[
            alt.Tooltip("country:N"),
            alt.Tooltip("status:N"),
            alt.Tooltip("bri_note:N", title="why"),
            alt.Tooltip("licensees:Q", title="licensees of listed licensors"),
            alt.Tooltip("names:N", title="who"),
        ],
    )
    title = f"Belt and Road members as of {as_of}, shaded by licensees of listed licensors (grey: not a member)"
    return alt.layer(chart).properties(height=420, title=title), table.drop(columns=["numeric"])
