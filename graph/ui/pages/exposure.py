"""Sanction exposure page."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import streamlit as st

from graph import views as gv
from graph.analytics.explain import RULES, explain, plain_json
from graph.analytics.exposure import ENTITY_LIST, SDN
from graph.errors import GraphError
from graph.ui.common import (
    ctx,
    date_box,
    download_csv,
    entities,
    entity_box,
    exposure_facts,
    exposure_results,
    header,
    heat,
    md,
    names_of,
    parse_date,
    projection,
    resolved_from,
    save_button,
)
from graph.ui.component import network

STORE, MANIFEST, VERSION, settings = ctx().store, ctx().manifest, ctx().version, ctx().settings


# -- Sanction exposure ---------------------------------------------------------


def _explanation_tables(result: dict) -> None:
    """The score's facts as tables (listings, ownership chains, licences), and its JSON in an expander."""
    name = names_of(VERSION)
    c = result["components"]
    if c.get("direct"):
        st.markdown("**Listings**")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "list": x["list_name"],
                        "since": x["since_text"],
                        "footnote": x.get("footnote") or "",
                        "citation": x.get("citation") or "",
                        "confidence": x.get("confidence", "high"),
                        "sources": ", ".join(x.get("sources", [])),
                    }
                    for x in c["direct"]
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    chains = [
        {
            "rule": RULES[part],
            "owner": name(x["owner"]) or x["owner"],
            "share": "?" if x.get("share") is None else f"{x['share']:g}%",
            "chain": " → ".join(name(i) or i for i in x.get("path", [])),
        }
        for part in RULES
        if not (c.get(part) or {}).get("listed")
        for x in (c.get(part) or {}).get("contributions", [])
    ]
    if chains:
        st.markdown("**Ownership chains** (each owner's share, along the chain that carries it)")
        st.dataframe(pd.DataFrame(chains), hide_index=True, width="stretch")
    if c.get("licensing"):
        st.markdown("**Licences with a listed party**")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "licensor": name(t["licensor"]) or t["licensor"],
                        "licensee": name(t["licensee"]) or t["licensee"],
                        "scope": t.get("scope") or "",
                        "year": t.get("year") or "",
                        "confidence": t.get("confidence", "high"),
                        "note": t.get("confidence_note") or "",
                    }
                    for t in c["licensing"]
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    with st.expander("The components as JSON"):
        st.json(plain_json(c), expanded=1)


def _dependence_table(dep: dict) -> None:
    """Who the entity depends on for what: its providers and its inputs, most controlled first."""
    if not dep:
        return
    names = entities(VERSION)
    st.markdown(
        f"**Supply-chain dependence** (controlling jurisdictions other than its own: {md(', '.join(dep['controlling']))})"
    )
    if dep["providers"]:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "provider": p["name"],
                        "country": p["country"],
                        "for": names.get(p["for"], p["for"]),
                        "relation": p["relation"],
                        "controlled": p["controlled"],
                    }
                    for p in dep["providers"]
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "input": d["name"],
                    "from controlling jurisdictions %": d["controlled_share"],
                    "own country %": d["own_share"],
                    "top provider": names.get(d["top_provider"][0], d["top_provider"][0]) if d["top_provider"] else "",
                    "top country": d["top_country"][0] if d["top_country"] else "",
                    "chokepoint": d["chokepoint"],
                    "needed for": "; ".join(d["needed"]),
                }
                for d in dep["inputs"]
            ]
        ),
        hide_index=True,
        width="stretch",
        height=260,
    )


@st.cache_resource(max_entries=16)
def _ranked(version: str, as_of: dt.date) -> pd.DataFrame:
    """The ranked table of every exposed entity on ``as_of`` (shared, read-only: built once per date)."""
    from graph.analytics.supply import dependence_summary

    return pd.DataFrame(
        [
            {
                "id": r["id"],
                "name": r["name"],
                "score": r["score"],
                "lists": "; ".join(x["list_name"] for x in r["components"]["direct"]),
                "ofac_50": r["components"]["ofac_50"].get("explanation", ""),
                "bis_affiliates": r["components"]["bis_affiliates"].get("explanation", ""),
                "licensing ties": len(r["components"].get("licensing", [])),
                "supply_chain": dependence_summary(r["components"].get("supply_chain", {})),
            }
            for r in exposure_results(version, as_of)
        ]
    )


@st.cache_resource(max_entries=8)
def _licensing_map(version: str, as_of: dt.date) -> tuple[Any, pd.DataFrame]:
    from graph.maps import licensing_map

    return licensing_map(projection(version, as_of), as_of)


@st.cache_data(max_entries=16)
def _coverage(version: str, as_of: dt.date) -> list[str]:
    from graph.analytics.exposure import rule_coverage

    return rule_coverage(projection(version, as_of), as_of, exposure_facts(version)[0])


def exposure_page() -> None:
    from graph.analytics.exposure import FORMULA

    header("Sanction exposure")
    q = st.query_params
    as_of = date_box("As of", "exp_as_of", parse_date(q.get("as_of")))
    results = exposure_results(VERSION, as_of)
    st.caption(FORMULA)
    st.caption(" ".join(md(t) for t in _coverage(VERSION, as_of)))
    ranked = _ranked(VERSION, as_of)
    st.dataframe(ranked, hide_index=True, width="stretch", height=300)
    if not results:
        st.info(f"No exposed entities as of {as_of}.")
        return
    download_csv(ranked, f"exposure-{as_of}", "exposure_csv")
    ids = [r["id"] for r in results]
    linked = ids.index(q["entity"]) if q.get("entity") in ids else 0
    names = entities(VERSION)  # once: a cached call per option costs a hash of its arguments each time
    chosen = st.selectbox("Explain", ids, linked, format_func=lambda i: names.get(i, i))
    st.query_params.update(entity=chosen, as_of=as_of.isoformat())  # a copied link explains the same entity
    result = next(r for r in results if r["id"] == chosen)
    left, right = st.columns([2, 1])
    with left:
        view = gv.exposure_view(STORE, projection(VERSION, as_of), result, as_of, heat(as_of))
        network(view, key="exposure_net", height=480)
        save_button(view, "save_exposure")
    with right:
        st.metric("Score", f"{result['score']:g}")
        resolved_from(STORE.node(chosen) or {})
        for line in explain(result, names_of(VERSION)):
            st.write(md(line))
    _explanation_tables(result)
    _dependence_table(result["components"].get("supply_chain", {}))
    _what_if(as_of)
    _bri_map(as_of)


def _what_if(as_of: dt.date) -> None:
    from graph.analytics.scenario import compare, later_than, scenario_from_dict

    st.subheader("What if", anchor=False)
    ops = st.session_state.setdefault("scenario_ops", [])
    ents = entities(VERSION)
    kind = st.radio("Add a hypothetical", ["listing", "ownership stake", "removal of a fact"], horizontal=True)
    c1, c2, c3 = st.columns(3)
    if kind == "listing":
        lists = [i for i, t in ents.items() if "(SanctionList)" in t]
        with c1:
            who = entity_box("Entity", "whatif_who", "smic")
        lst = c2.selectbox("List", lists, lists.index(SDN) if SDN in lists else 0, format_func=ents.get)
        when = date_box("Listed from", "whatif_when", as_of, c3)
        op = {"op": "add", "type": "LISTED_ON", "start": who, "end": lst, "valid_from": when.isoformat()}
    elif kind == "ownership stake":
        with c1:
            owner = entity_box("Owner", "whatif_owner", "huawei")
        with c2:
            owned = entity_box("Owned", "whatif_owned", "hisilicon")
        share = c3.number_input("Share, percent (0 for unknown)", 0.0, 100.0, 50.0)
        op = {"op": "add", "type": "OWNS", "start": owner, "end": owned, "share": share or None}
    else:
        with c1:
            a = entity_box("From", "whatif_from", "huawei")
        with c2:
            b = entity_box("To", "whatif_to", ENTITY_LIST)
        rel = c3.selectbox("Type", list(STORE.schema.relationships), key="whatif_type")
        op = {"op": "remove", "type": rel, "start": a, "end": b}
    if st.button("Add to scenario", key="whatif_add"):
        ops.append({k: v for k, v in op.items() if v is not None})
    if not ops:
        st.caption("No hypothetical facts yet. A scenario never writes to the store.")
        return
    doc = {"name": st.text_input("Scenario name", "what-if"), "changes": ops}
    st.download_button("Download scenario JSON", json.dumps(doc, indent=1), "scenario.json", "application/json")
    if st.button("Clear scenario"):
        st.session_state["scenario_ops"] = []
        st.rerun()
    try:
        scenario = scenario_from_dict(doc, "what-if panel")
        rules, supply = exposure_facts(VERSION)
        _, _, changes = compare(projection(VERSION, as_of), scenario, as_of, rules, supply)
    except GraphError as exc:
        st.error(md(exc))
        return
    st.json(ops, expanded=False)
    for fact in later_than(scenario, as_of):
        st.warning(md(f"{fact}: it does not count on the page's as-of date. Move the as-of date to see its effect."))
    if not changes:
        st.info(f"With these changes nobody's exposure changes as of {as_of}.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "id": c.id,
                    "name": c.name,
                    "change": c.summary(),
                    "baseline": c.baseline,
                    "scenario": c.scenario,
                    "why": c.why.get("ofac_50", {}).get("explanation", "")
                    or "; ".join(x["list_name"] for x in c.why.get("direct", [])),
                }
                for c in changes
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def _bri_map(as_of: dt.date) -> None:
    st.subheader("Belt and Road countries by licensing exposure", anchor=False)
    chart, table = _licensing_map(VERSION, as_of)
    st.altair_chart(chart, width="stretch")
    low = table[table["bri_confidence"] == "low"]["country"].tolist()
    st.caption(
        "China initiated the Belt and Road and is not counted as a member (GFDC's list includes it). "
        + (f"Low-confidence memberships, shown as such: {', '.join(low)}." if low else "")
    )
    with st.expander("As a table"):
        st.dataframe(table, hide_index=True, width="stretch")


exposure_page()
