"""Entity resolution: quality on a labelled set from the real lists, and speed.

    python bench/resolve.py [--scale 200000] [--no-nomenklatura]

The development set is built from the real source files (the same loaders as
the build), before any resolution, so it is labelled by the lists themselves:

* true pairs: each Entity List and SDN entry's main name against each of its
  own (strong) aliases, up to three per entry, both with the entry's
  countries; and each curated company against the CSET provider record whose
  id it claims in ``xrefs`` (different spellings of one party by two sources);
* hard false pairs: different companies of one group (an entry and the
  parent it is ``SUBSIDIARY_OF``; two entries of one list that share their
  first identifying word, "Cambricon (Kunshan)" and "Cambricon (Nanjing)",
  "SMIC Beijing" and "SMIC"); and the same name in different countries (two
  entries of the lists whose normalised names are equal, in different
  countries: "Huawei Technologies Co., Ltd." and the Thai one, which become
  equal once the countries are set aside, are apart by the country alone).

For our matcher, a rapidfuzz token baseline (``token_sort_ratio`` and
``token_set_ratio`` on lower-cased names) and nomenklatura's ``logic-v2``, it
prints precision, recall and F1 overall and for organisations at the default
match threshold, at the best threshold on this set, the precision of
automatic merges (score at or above ``auto``) and the recall of the review
queue (score at or above ``review``). Then the speed: the resolver on the
full real build, and blocking on ``--scale`` synthetic names made from the
real names' words (blocking is near-linear: pairs per record stay flat).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph import settings as settings_mod  # noqa: E402
from graph.build import merge, run_loaders  # noqa: E402
from graph.model import NodeRecord  # noqa: E402
from graph.resolve import Record, Thresholds, candidate_pairs, name_form, resolve, score, transliterate  # noqa: E402
from graph.resolve.normalize import GENERIC, LEGAL_FORMS  # noqa: E402

ALIASES_PER_ENTRY = 3
GROUP_PAIRS_PER_WORD = 6


@dataclass(frozen=True)
class Pair:
    """One labelled pair: two single-name records, the truth, and where it comes from."""

    a: Record
    b: Record
    same: bool
    kind: str

    @property
    def org(self) -> bool:
        return self.a.schema != "Person"


def _countries(props: dict) -> tuple[str, ...]:
    out = list(props.get("countries") or [])
    if props.get("country"):
        out.insert(0, props["country"])
    return tuple(dict.fromkeys(c for c in out if c and len(c) == 3))


def _one(rec: NodeRecord, name: str, suffix: str) -> Record:
    return Record(f"{rec.props['id']}#{suffix}", rec.label, (name,), _countries(rec.props))


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_STOP = frozenset(LEGAL_FORMS) | GENERIC


def _words(name: str) -> set[str]:
    text = transliterate(name).casefold()
    return {w for w in re.split(r"[^a-z0-9]+", text) if len(w) >= 4 and w not in _STOP}


def _spelling(name: str, alias: str) -> bool:
    """An alias that writes the name another way (shares an identifying word, or is in another script)
    rather than another name (an acronym, a former or a trade name: "CIMEX", "AVIA IMPORT").

    The test is the matcher's own normalisation-free word overlap, so it favours no matcher's scoring."""
    if _CJK.search(name) or _CJK.search(alias):
        return True
    return bool(_words(name) & _words(alias))


def dev_set(raw_nodes: list[NodeRecord], raw_edges: list) -> list[Pair]:
    """The labelled pairs, from the loaders' records before any merging."""
    listed = [
        n
        for n in raw_nodes
        if n.label in ("Company", "Person")
        and (n.origin[0].endswith("bis_entity_list.json") or n.origin[0] == "src-ofac-sdn")
    ]
    pairs: list[Pair] = []
    for n in listed:
        name = n.props.get("name") or ""
        for k, alias in enumerate((n.props.get("aliases") or [])[:ALIASES_PER_ENTRY]):
            if alias and alias != name:
                kind = "own alias: spelling" if _spelling(name, alias) else "own alias: other name"
                pairs.append(Pair(_one(n, name, "n"), _one(n, alias, f"a{k}"), True, kind))
    # Curated companies and the CSET records they claim.
    claims = {x: n for n in raw_nodes if "/curated/" in n.origin[0] for x in n.props.get("xrefs") or []}
    for n in raw_nodes:
        if "/curated/" in n.origin[0] or n.label != "Company":
            continue
        for x in n.props.get("xrefs") or []:
            if x in claims and claims[x].props["name"] != n.props["name"]:
                c = claims[x]
                pairs.append(Pair(_one(c, c.props["name"], "c"), _one(n, n.props["name"], "x"), True, "curated xref"))
    # Different companies of one group: subsidiaries and their parents, as the lists name them.
    by_id = {n.props["id"]: n for n in raw_nodes}
    for e in raw_edges:
        if e.type == "SUBSIDIARY_OF" and e.start in by_id and e.end in by_id:
            a, b = by_id[e.start], by_id[e.end]
            if a.label == b.label == "Company":
                pairs.append(Pair(_one(a, a.props["name"], "n"), _one(b, b.props["name"], "n"), False, "group"))
    # Two entries of one list that share their first identifying word.
    groups: dict[tuple[str, str], list[NodeRecord]] = defaultdict(list)
    for n in listed:
        if n.label == "Company":
            f = name_form(n.props.get("name") or "")
            if f.distinctive and len(f.distinctive[0]) >= 4:
                groups[(n.origin[0], f.distinctive[0])].append(n)
    rng = random.Random(12)
    for (_, _word), members in sorted(groups.items()):
        if len(members) < 2 or len(members) > 200:
            continue
        cand = [(a, b) for i, a in enumerate(members) for b in members[i + 1 :]]
        for a, b in rng.sample(cand, min(GROUP_PAIRS_PER_WORD, len(cand))):
            if name_form(a.props["name"]).key != name_form(b.props["name"]).key:
                pairs.append(Pair(_one(a, a.props["name"], "n"), _one(b, b.props["name"], "n"), False, "group"))
    # The same name in different countries, across every list.
    by_key: dict[str, list[NodeRecord]] = defaultdict(list)
    for n in raw_nodes:
        if n.label == "Company" and _countries(n.props) and "/curated/" not in n.origin[0]:
            by_key[name_form(n.props.get("name") or "").key].append(n)
    for key, members in sorted(by_key.items()):
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if key and not set(_countries(a.props)) & set(_countries(b.props)):
                    pairs.append(
                        Pair(
                            _one(a, a.props["name"], "n"),
                            _one(b, b.props["name"], "n"),
                            False,
                            "same name, other country",
                        )
                    )
    return pairs


def _prf(scores: list[float], truth: list[bool], threshold: float) -> tuple[float, float, float]:
    tp = sum(1 for s, t in zip(scores, truth) if s >= threshold and t)
    fp = sum(1 for s, t in zip(scores, truth) if s >= threshold and not t)
    fn = sum(1 for s, t in zip(scores, truth) if s < threshold and t)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _best(scores: list[float], truth: list[bool]) -> tuple[float, float]:
    best = (0.0, 0.0)
    for t in [x / 100 for x in range(30, 100)]:
        f1 = _prf(scores, truth, t)[2]
        if f1 > best[0]:
            best = (f1, t)
    return best


def ours(p: Pair) -> float:
    return score(p.a, p.b).value


def rapidfuzz_matcher(scorer_name: str):
    from rapidfuzz import fuzz, utils

    scorer = getattr(fuzz, scorer_name)

    def run(p: Pair) -> float:
        return scorer(p.a.names[0], p.b.names[0], processor=utils.default_process) / 100

    run.__name__ = f"rapidfuzz.{scorer_name}"
    return run


def nomenklatura_matcher():
    from followthemoney import model
    from nomenklatura.matching import LogicV2, ScoringConfig

    config = ScoringConfig.defaults()
    iso2 = {}
    import pycountry

    for c in pycountry.countries:
        iso2[c.alpha_3] = c.alpha_2.lower()

    def entity(r: Record):
        e = model.make_entity("Person" if r.schema == "Person" else "Company")
        e.id = r.id
        e.add("name", r.names[0])
        for c in r.countries:
            if c in iso2:
                e.add("country", iso2[c])
        return e

    def run(p: Pair) -> float:
        return LogicV2.compare(entity(p.a), entity(p.b), config).score

    run.__name__ = "nomenklatura logic-v2"
    return run


def quality(pairs: list[Pair], matchers: list, th: Thresholds) -> None:
    kinds = defaultdict(lambda: [0, 0])
    for p in pairs:
        kinds[p.kind][0 if p.same else 1] += 1
    print(f"development set: {len(pairs)} pairs from the real lists")
    for k, (t, f) in sorted(kinds.items()):
        print(f"  {k:28s} {t:6d} true  {f:6d} false")
    print()
    header = (
        f"{'matcher':26s} {'subset':6s} {'thr':>5s} {'P':>6s} {'R':>6s} {'F1':>6s} | {'best F1':>7s} @ {'thr':>4s}"
        f" | {'auto P':>6s} {'review R':>8s} | {'ms/pair':>7s}"
    )
    other = [p for p in pairs if p.kind == "own alias: other name"]
    pairs = [p for p in pairs if p.kind != "own alias: other name"]
    print(f"scored: {len(pairs)} pairs (the {len(other)} 'other name' aliases are reported apart below)\n")
    print(header)
    print("-" * len(header))
    for m in matchers:
        started = time.perf_counter()
        scores = [m(p) for p in pairs]
        ms = (time.perf_counter() - started) * 1000 / len(pairs)
        thr = th.match if m is ours else (0.7 if "logic" in m.__name__ else 0.85)
        for subset, keep in (("all", lambda p: True), ("orgs", lambda p: p.org)):
            idx = [i for i, p in enumerate(pairs) if keep(p)]
            s = [scores[i] for i in idx]
            t = [pairs[i].same for i in idx]
            p_, r_, f_ = _prf(s, t, thr)
            bf, bt = _best(s, t)
            auto_p = _prf(s, t, th.auto)[0] if m is ours else float("nan")
            review_r = _prf(s, t, th.review)[1] if m is ours else float("nan")
            print(
                f"{m.__name__:26s} {subset:6s} {thr:5.2f} {p_:6.3f} {r_:6.3f} {f_:6.3f} | {bf:7.3f} @ {bt:4.2f}"
                f" | {auto_p:6.3f} {review_r:8.3f} | {ms:7.3f}"
            )
    ours_scores = [ours(p) for p in pairs]
    truth = [p.same for p in pairs]
    orgs = [i for i, p in enumerate(pairs) if p.org]
    print("\nours at other thresholds (all | orgs):")
    for t in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, th.auto):
        a = _prf(ours_scores, truth, t)
        o_ = _prf([ours_scores[i] for i in orgs], [truth[i] for i in orgs], t)
        print(f"  {t:4.2f}  P {a[0]:.3f} R {a[1]:.3f} F1 {a[2]:.3f} | P {o_[0]:.3f} R {o_[1]:.3f} F1 {o_[2]:.3f}")
    o = [ours(p) for p in other]
    print(
        f"\n'other name' aliases (acronyms, former and trade names; no name matcher can see them): "
        f"{sum(x >= th.review for x in o) / max(len(o), 1):.3f} reach the review band, "
        f"{sum(x >= th.match for x in o) / max(len(o), 1):.3f} the match threshold (ours)"
    )
    print(
        f"\nthresholds: auto {th.auto}, review {th.review}, match {th.match} "
        "(targets: auto P >= 0.99, review R >= 0.95, org F1 at the default >= 0.87)"
    )


def misses(pairs: list[Pair], th: Thresholds, n: int = 12) -> None:
    """The worst errors of our matcher, to read."""
    scored = [(ours(p), p) for p in pairs if p.kind != "own alias: other name"]
    fps = sorted([x for x in scored if not x[1].same and x[0] >= th.auto], key=lambda x: -x[0])[:n]
    fns = sorted([x for x in scored if x[1].same and x[0] < th.review], key=lambda x: x[0])[:n]
    print("\nfalse merges (auto):")
    for s, p in fps:
        print(
            f"  {s:.2f} {p.kind}: {p.a.names[0]!r} [{','.join(p.a.countries)}] / {p.b.names[0]!r} [{','.join(p.b.countries)}]"
        )
    print("true pairs below review:")
    for s, p in fns:
        print(f"  {s:.2f} {p.kind}: {p.a.names[0]!r} / {p.b.names[0]!r}")


def speed(raw_nodes: list[NodeRecord], raw_edges: list, settings: settings_mod.Settings) -> None:
    nodes, edges = merge(raw_nodes, raw_edges)
    started = time.perf_counter()
    _, _, report = resolve(nodes, edges, [], settings)
    seconds = time.perf_counter() - started
    print(
        f"\nresolver on the full real build: {report.records} records -> {report.entities} entities, "
        f"{report.pairs_scored} pairs scored, {len(report.review)} to review: {seconds:.2f} s (target <= 15 s)"
    )


def blocking_scale(raw_nodes: list[NodeRecord], n: int) -> None:
    words = sorted({w for r in raw_nodes if r.label == "Company" for w in (r.props.get("name") or "").split()})
    forms = ["Co., Ltd.", "LLC", "JSC", "GmbH", "Corporation", "", "Limited"]
    rng = random.Random(7)
    for size in (n // 10, n):
        recs = [
            Record(str(i), "Company", (" ".join(rng.sample(words, rng.randint(2, 4))) + " " + rng.choice(forms),))
            for i in range(size)
        ]
        started = time.perf_counter()
        pairs = candidate_pairs(recs)
        seconds = time.perf_counter() - started
        print(
            f"blocking {size:>9,d} synthetic names: {len(pairs):>9,d} candidate pairs "
            f"({len(pairs) / size:.2f} per name), {seconds:.1f} s ({seconds / size * 1e6:.0f} µs per name)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=int, default=200_000, help="synthetic names for the blocking figure")
    ap.add_argument("--no-nomenklatura", action="store_true", help="skip logic-v2 (its import takes ~5 s)")
    ap.add_argument("--misses", action="store_true", help="print the worst errors of our matcher")
    args = ap.parse_args()
    settings = settings_mod.load()
    th = Thresholds.of(settings)
    raw_nodes, raw_edges, _ = run_loaders(settings.raw_dirs)
    pairs = dev_set(raw_nodes, raw_edges)
    matchers = [ours, rapidfuzz_matcher("token_sort_ratio"), rapidfuzz_matcher("token_set_ratio")]
    if not args.no_nomenklatura:
        matchers.append(nomenklatura_matcher())
    ours.__name__ = "ours (graph.resolve)"
    quality(pairs, matchers, th)
    if args.misses:
        misses(pairs, th)
    speed(raw_nodes, raw_edges, settings)
    if args.scale:
        blocking_scale(raw_nodes, args.scale)


if __name__ == "__main__":
    main()
