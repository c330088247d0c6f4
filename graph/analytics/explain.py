"""An exposure score in words: the sum it is, and one sentence per fact that makes it.

What the Explore details, the Exposure page and the briefing say about a
score, so that nobody reads a JSON dump or a bare number:

>>> exp = {"score": 10.0, "components": {
...     "points": {"direct": 0, "ofac_50": 0, "bis_affiliates": 0, "licensing": 10.0, "supply_chain": 0},
...     "direct": [], "licensing": [{"role": "licensee", "licensor": "huawei", "licensor_lists": ["el"],
...     "scope": "cellular SEP", "year": 2023, "confidence": "low",
...     "confidence_note": "deal known from press reports only"}]}}
>>> for line in explain(exp, {"huawei": "Huawei", "el": "Entity List"}.get): print(line)
score 10 = licensing 10
licensing: licensee of a listed licensor, Huawei (listed on Entity List), cellular SEP, 2023; deal known from press reports only (confidence low)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from graph.analytics.ownership import stake_text
from graph.analytics.supply import dependence_summary

RULES = {"ofac_50": "OFAC 50% rule", "bis_affiliates": "BIS affiliates rule"}
Names = Callable[[str], str | None]


def explain(exposure: Mapping[str, Any], name: Names = lambda i: None) -> list[str]:
    """The score as a sum of its parts, then a sentence for each listing, rule, licence and dependence.

    ``name`` gives an entity's name from its id (None when unknown: the id is shown).
    """
    c = exposure.get("components") or {}
    points = {k: v for k, v in (c.get("points") or {}).items() if v}
    score = exposure.get("score", 0)
    if points:
        total = " + ".join(f"{k} {v:g}" for k, v in points.items())
        head = f"score {score:g} = {total}"
        if sum(points.values()) > score:
            head = f"score {score:g} = min(100, {total})"
    else:
        head = f"score {score:g}: no list, ownership rule, licence or dependence applies"
    lines = [head]
    for x in c.get("direct", []):
        lines.append(f"listed on {listing_sentence(x)}")
    for part, rule in RULES.items():
        r = c.get(part) or {}
        if r.get("listed") or not r.get("contributions"):
            continue
        lines.append(f"{rule}: {ownership_sentence(r, name)}")
    for t in c.get("licensing", []):
        if t.get("role") == "licensee" and t.get("licensor_lists"):
            lines.append(f"licensing: licensee of a listed licensor, {_tie(t, 'licensor', name)}")
        elif t.get("role") == "licensor" and t.get("licensee_lists"):
            lines.append(f"licensing (no points): licensor to a listed licensee, {_tie(t, 'licensee', name)}")
    dep = c.get("supply_chain") or {}
    if dep.get("dependent_inputs"):
        lines.append(f"supply chain: {dependence_summary(dep)}")
    lines += jurisdiction_sentences(c.get("jurisdictions") or {}, name)
    return lines


def jurisdiction_sentences(standing: Mapping[str, Mapping[str, Any]], name: Names = lambda i: None) -> list[str]:
    """What each jurisdiction's owned-or-controlled test says (reported, not scored): the tests that cover
    the entity or cannot decide, each with its stakes and control ties, then those that do not cover it."""
    lines, clear = [], []
    for test in standing.values():
        status = test["status"]
        if status == "not covered":
            clear.append(test["name"])
            continue
        if status == "listed":
            lines.append(f"{test['name']}: on a list that seeds it")
            continue
        why = []
        if test.get("contributions"):
            why.append(ownership_sentence({**test, "blocked": status == "covered" or None}, name).split(":")[0])
        why += [
            f"controlled by {_named(t['controller'], name)} ({t.get('kind') or 'control'})" for t in test["control"]
        ]
        lines.append(f"{test['name']}: {status}" + (f" ({'; '.join(why)})" if why else ""))
    if clear:
        lines.append("not covered by: " + "; ".join(clear))
    return lines


def listing_sentence(x: Mapping[str, Any]) -> str:
    """ "BIS Entity List since 2019-05-16, footnote 1 (84 FR 22961)", flagged when its start is unknown."""
    since = x.get("since")
    text = f"{x.get('list_name') or x.get('list')} "
    text += f"since {_day(since)}" if since else "since: date not in source (the listing counts; its start is unknown)"
    if x.get("footnote"):
        text += f", footnote {x['footnote']}"
    if x.get("citation"):
        text += f" ({x['citation']})"
    if x.get("confidence", "high") != "high":
        text += f" (confidence {x['confidence']})"
    return text


def ownership_sentence(r: Mapping[str, Any], name: Names = lambda i: None) -> str:
    """ "52% = 30% via A + 22% via B: blocked", with the bounds when a share is unknown."""
    parts = []
    for x in r.get("contributions", []):
        share = stake_text(x.get("share"), x.get("low", 0.0), x.get("high", 100.0))
        parts.append(f"{share} via {_named(x['owner'], name)}")
    lower, upper = r.get("lower", 0.0), r.get("upper", 0.0)
    held = f"{lower:g}%" if lower == upper else f"{lower:g}–{upper:g}%"
    verdict = {True: "blocked", False: "not blocked", None: "blocked at the upper bound only"}[r.get("blocked")]
    return f"{held} = {' + '.join(parts)}: {verdict}"


def _tie(t: Mapping[str, Any], who: str, name: Names) -> str:
    lists = ", ".join(_named(x, name) for x in t.get(f"{who}_lists", []))
    bits = [f"{_named(t[who], name)} (listed on {lists})"]
    bits += [str(t[k]) for k in ("scope", "year") if t.get(k)]
    text = ", ".join(bits)
    if t.get("confidence", "high") != "high":
        note = t.get("confidence_note")
        text += f"; {note} (confidence {t['confidence']})" if note else f" (confidence {t['confidence']})"
    return text


def _named(node_id: str, name: Names) -> str:
    return name(node_id) or node_id


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def plain_json(value: Any) -> Any:
    """``value`` with dates as ISO strings, for a JSON view: never ``datetime.date(2019, 5, 16)`` on a page."""
    if isinstance(value, Mapping):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain_json(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
