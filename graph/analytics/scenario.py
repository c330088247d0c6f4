"""What-if scenarios: hypothetical facts applied to a projection, never to the store.

A scenario is a named JSON file::

    {"name": "Entity List adds X and its affiliates",
     "changes": [
       {"op": "add", "type": "LISTED_ON", "start": "x", "end": "us-bis-entity-list", "valid_from": "2026-12-01"},
       {"op": "add", "type": "OWNS", "start": "x", "end": "y", "share": 60},
       {"op": "add_node", "id": "newco", "label": "Company", "name": "NewCo"},
       {"op": "remove", "edge": "OWNS-1a2b3c4d5e6f7a8b"},
       {"op": "remove", "type": "LISTED_ON", "start": "huawei", "end": "us-bis-entity-list"}
     ]}

Added facts are validated against the schema like an import (labels, types,
ends, dates, finite numbers in range, no key repeated in an object) and cite
the scenario itself as their source; problems name the file, the line and the
change. ``add`` and ``add_node`` only add: a node or relationship that is
already there is refused rather than silently replaced (``remove`` it first to
change it). A control is
added the same way: ``add_node`` an ``ExportControl`` (with ``rule``,
``effective``, ...) and ``add`` its ``TARGETS``. :func:`compare` computes
exposure with and without the scenario and reports who changes and why.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from graph.analytics.exposure import Exposure, sanction_exposure
from graph.analytics.supply import SupplyFacts
from graph.errors import Problem, ValidationError
from graph.importer import loads
from graph.model import edge_id
from graph.schema import load_schema

OPS = ("add", "add_node", "remove")


@dataclass
class Scenario:
    name: str
    changes: list[dict[str, Any]]
    path: str = ""
    lines: list[int] = field(default_factory=list)  # the line each change starts on, when read from a file

    @property
    def source_id(self) -> str:
        return f"scenario:{self.name}"


def load_scenario(path: Path) -> Scenario:
    """Read a scenario file; raise :class:`ValidationError` naming the file and the change."""
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        doc = loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError([Problem(where, exc.lineno, f"broken JSON: {exc.msg} at column {exc.colno}")]) from exc
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and DuplicateKey are ValueErrors
        raise ValidationError([Problem(where, 0, f"cannot read the scenario: {exc}")]) from exc
    scenario = scenario_from_dict(doc, where)
    scenario.lines = _change_lines(text)
    return scenario


_WS = re.compile(r"[ \t\n\r]*")


def _skip(text: str, i: int) -> int:
    """The index of the first non-blank character at or after ``i``."""
    return _WS.match(text, i).end()  # type: ignore[union-attr]  # the pattern matches the empty string


def _change_lines(text: str) -> list[int]:
    """The line on which each element of the top-level ``changes`` array starts, for messages.

    ``text`` has already parsed as a scenario, so the walk can trust its shape.
    """
    decoder = json.JSONDecoder()
    i = _skip(text, 0) + 1  # past "{"
    while text[i := _skip(text, i)] != "}":
        key, i = decoder.raw_decode(text, i)
        i = _skip(text, _skip(text, i) + 1)  # past ":"
        if key != "changes":
            _, i = decoder.raw_decode(text, i)
        else:
            lines = []
            i += 1  # past "["
            while text[i := _skip(text, i)] != "]":
                lines.append(text.count("\n", 0, i) + 1)
                _, i = decoder.raw_decode(text, i)
                i = _skip(text, i)
                i += text[i] == ","
            return lines
        i = _skip(text, i)
        i += text[i] == ","
    return []


def scenario_from_dict(doc: Any, where: str = "scenario") -> Scenario:
    """A scenario from its JSON document; the changes are checked when applied."""
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str) or not isinstance(doc.get("changes"), list):
        raise ValidationError([Problem(where, 0, 'a scenario is {"name": "...", "changes": [...]}')])
    return Scenario(doc["name"], doc["changes"], where)


def apply(g: nx.MultiDiGraph, scenario: Scenario, as_of: dt.date | None = None) -> nx.MultiDiGraph:
    """A copy of ``g`` with the scenario's changes; ``g`` itself is untouched.

    Added relationships that are not valid on ``as_of`` are left out, as the
    projection would have left them out.
    """
    schema = load_schema()
    out = g.copy()
    problems: list[Problem] = []

    def bad(i: int, message: str) -> None:
        line = scenario.lines[i] if i < len(scenario.lines) else 0
        problems.append(Problem(scenario.path or scenario.name, line, f"change {i + 1}: {message}"))

    for i, change in enumerate(scenario.changes):
        op = change.get("op") if isinstance(change, dict) else None
        if op not in OPS:
            bad(i, f"op must be one of {', '.join(OPS)}")
            continue
        body = {k: v for k, v in change.items() if k != "op"}
        if op == "add_node":
            label = body.pop("label", None)
            props, errs = schema.check_node_props(label, {**body, "sources": [scenario.source_id]})
            for e in errs:
                bad(i, e)
            if not errs and props["id"] in out:
                there = out.nodes[props["id"]]
                bad(
                    i,
                    f"node {props['id']!r} already exists ({there.get('label')} {there.get('name')!r}); "
                    "add_node only adds new nodes: remove it first to replace it",
                )
            elif not errs:
                out.add_node(props["id"], **{**props, "label": label, "hypothetical": True})
        elif op == "add":
            rel_type, start, end = body.pop("type", None), body.pop("start", None), body.pop("end", None)
            for name, node in (("start", start), ("end", end)):
                if node not in out:
                    bad(i, f"{name} node {node!r} does not exist")
            if start not in out or end not in out:
                continue
            body.setdefault("id", edge_id(str(rel_type), start, end, body.get("valid_from")))
            props, errs = schema.check_edge_props(
                rel_type,
                {**body, "sources": [scenario.source_id]},
                out.nodes[start].get("label"),
                out.nodes[end].get("label"),
            )
            for e in errs:
                bad(i, e)
            if errs:
                continue
            if out.has_edge(start, end, key=props["id"]):
                bad(
                    i,
                    f"relationship {props['id']!r} ({rel_type} from {start!r} to {end!r}) already exists; "
                    "add only adds new facts: remove it first to replace it",
                )
                continue
            vf, vt = props.get("valid_from"), props.get("valid_to")
            if as_of is None or ((vf is None or vf <= as_of) and (vt is None or vt >= as_of)):
                out.add_edge(
                    start,
                    end,
                    key=props["id"],
                    type=rel_type,
                    hypothetical=True,
                    **{k: v for k, v in props.items() if v is not None},
                )
        else:
            removed = _remove(out, body)
            if not removed:
                bad(i, f"nothing to remove matches {body}")
    if problems:
        raise ValidationError(problems)
    return out


def _remove(g: nx.MultiDiGraph, body: Mapping[str, Any]) -> int:
    if "edge" in body:
        hits = [(a, b, k) for a, b, k in g.edges(keys=True) if k == body["edge"]]
    elif "node" in body:
        if body["node"] in g:
            g.remove_node(body["node"])
            return 1
        return 0
    else:
        hits = [
            (a, b, k)
            for a, b, k, d in g.edges(keys=True, data=True)
            if a == body.get("start") and b == body.get("end") and d.get("type") == body.get("type")
        ]
    g.remove_edges_from(hits)
    return len(hits)


def statuses(components: Mapping[str, Any]) -> tuple[str, ...]:
    """An entity's exposure as statuses in words: what a capped score of 100 cannot show changing.

    >>> statuses({"direct": [{"list_name": "SDN"}], "ofac_50": {"blocked": True, "listed": True}})
    ('listed on SDN',)
    >>> statuses({"ofac_50": {"blocked": None, "listed": False}, "bis_affiliates": {"blocked": True}})
    ('OFAC 50% rule: undecided (share bounds straddle 50%)', 'covered by the BIS affiliates rule')
    """
    out = [f"listed on {x['list_name']}" for x in components.get("direct", [])]
    for part, yes in (
        ("ofac_50", "blocked by the OFAC 50% rule"),
        ("bis_affiliates", "covered by the BIS affiliates rule"),
    ):
        c = components.get(part) or {}
        if c.get("listed"):
            continue  # the listing says it
        if c.get("blocked") is True:
            out.append(yes)
        elif "blocked" in c and c["blocked"] is None:
            out.append(
                f"{'OFAC 50%' if part == 'ofac_50' else 'BIS affiliates'} rule: undecided (share bounds straddle 50%)"
            )
    if any(t.get("role") == "licensee" and t.get("licensor_lists") for t in components.get("licensing", [])):
        out.append("licensee of a listed licensor")
    if (components.get("supply_chain") or {}).get("dependent_inputs"):
        out.append("depends on controlled inputs")
    return tuple(out)


@dataclass
class Change:
    """One entity whose exposure the scenario changes: its score before and after, and the statuses it gains
    (``newly``) and loses (``no_longer``), which show a change that a score capped at 100 hides."""

    id: str
    name: str
    baseline: float
    scenario: float
    why: dict[str, Any] = field(default_factory=dict)
    newly: tuple[str, ...] = ()
    no_longer: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "baseline": self.baseline,
            "scenario": self.scenario,
            "newly": list(self.newly),
            "no_longer": list(self.no_longer),
            "why": self.why,
        }

    def summary(self) -> str:
        """The change in words: "newly blocked by the OFAC 50% rule; no longer …", or the score's move."""
        parts = [f"newly {s}" for s in self.newly] + [f"no longer {s}" for s in self.no_longer]
        return "; ".join(parts) or f"score {self.baseline:g} → {self.scenario:g}"


def later_than(scenario: Scenario, as_of: dt.date) -> list[str]:
    """The scenario's facts dated after ``as_of``, in words: they do not count on that date, and saying
    "nobody's exposure changes" without saying so would mislead."""
    out = []
    for change in scenario.changes:
        for key in ("valid_from", "effective"):
            value = change.get(key)
            try:
                day = dt.date.fromisoformat(str(value)) if value else None
            except ValueError:
                continue
            if day and day > as_of:
                what = " → ".join(str(change.get(k)) for k in ("start", "end") if change.get(k)) or change.get(
                    "id", "?"
                )
                out.append(f"{change.get('type') or change.get('label', 'fact')} {what} starts {day}, after {as_of}")
    return out


def compare(
    g: nx.MultiDiGraph,
    scenario: Scenario,
    as_of: dt.date,
    rules: Iterable[Mapping[str, Any]] = (),
    supply: SupplyFacts | None = None,
) -> tuple[list[Exposure], list[Exposure], list[Change]]:
    """Exposure without and with the scenario, and every entity whose score or statuses change, with why."""
    rules = list(rules)
    hypo = apply(g, scenario, as_of)
    extra_rules = [dict(d, id=n) for n, d in hypo.nodes(data=True) if d.get("hypothetical") and d.get("rule")]
    base = sanction_exposure(g, as_of, rules, supply=supply)
    what = sanction_exposure(hypo, as_of, rules + extra_rules, supply=supply)
    before, after = {e.id: e for e in base}, {e.id: e for e in what}
    changes = []
    for entity in sorted(set(before) | set(after)):
        b = before[entity].score if entity in before else 0.0
        a = after[entity].score if entity in after else 0.0
        sb = statuses(before[entity].components) if entity in before else ()
        sa = statuses(after[entity].components) if entity in after else ()
        if a != b or sb != sa:
            name = (after.get(entity) or before[entity]).name
            why = after[entity].components if entity in after else {}
            newly = tuple(s for s in sa if s not in sb)
            gone = tuple(s for s in sb if s not in sa)
            changes.append(Change(entity, name, b, a, why, newly, gone))
    changes.sort(key=lambda c: (-len(c.newly), -(c.scenario - c.baseline), c.name.lower()))
    return base, what, changes
