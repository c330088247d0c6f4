"""The matcher: how alike two parties are, from 0 to 1, and why.

It is rule-based and explainable, in the manner of OpenSanctions'
``logic-v2``: each pair of names is compared word by word (after
:mod:`graph.resolve.normalize`), the best pair wins, and then the other
evidence moves the score:

* a shared strong identifier (LEI, USCC, OFAC ent_num, CSET id, IMO, ...) is a
  match on its own (1.0);
* a different value of the same one-per-party identifier (two USCCs) pulls the
  score down hard: two registrations are two parties;
* countries that are all different pull it down ("Huawei Technologies
  Japan K.K." is not the Chinese parent even with the same words);
* a person never matches an organisation.

Words left over on either side count against a match, weighted by how much
they identify ("cloud", "brazil" and "beijing" count fully; "technology",
"group", "international" little), so "Huawei Cloud Brazil" is far from
"Huawei Technologies" while "Huawei" is near "Huawei Technologies Co., Ltd.".

>>> a = Record("a", "Company", ("Huawei Technologies Co., Ltd.",), countries=("CHN",))
>>> score(a, Record("b", "Company", ("HUAWEI TECHNOLOGIES COMPANY LIMITED",), countries=("CHN",))).value
1.0
>>> score(a, Record("c", "Company", ("华为技术有限公司",))).value >= 0.9
True
>>> s = score(a, Record("d", "Company", ("Huawei Cloud Brazil",), countries=("BRA",)))
>>> s.value < 0.5, s.reason
(True, "name 'Huawei Technologies Co., Ltd.' ~ 'Huawei Cloud Brazil' 0.47; countries differ (CHN / BRA)")
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import Levenshtein

from graph.resolve.normalize import GENERIC, GENERIC_WEIGHT, NameForm, initials, name_form

# The schemas a matcher input may name, and which of them may be the same party.
ORG_SCHEMAS = frozenset({"Company", "Organization", "LegalEntity"})
PERSON_SCHEMAS = frozenset({"Person"})
SCHEMAS = ORG_SCHEMAS | PERSON_SCHEMAS

# Identifier schemes that name one party only: sharing one is a match, differing is a mismatch.
STRONG_SCHEMES = frozenset({"lei", "uscc", "ofac", "cset", "imo", "mmsi", "duns", "tax", "reg", "swift", "perm"})
ALIAS_DISCOUNT = 0.99  # a match on an alias ranks just below the same match on both main names
SHORT_NAME_CAP = 0.75  # a name of 4 letters or fewer ("RSS", "IGL") is too common to merge on alone
COUNTRY_MISMATCH = 0.6
LEGAL_FORM_MISMATCH = 0.9
# Words that make a different entity of the same name: "Stroytransgaz Group" holds "Stroytransgaz OJSC".
STRUCTURE_WORDS = frozenset({"group", "holding", "jituan"})
STRUCTURE_MISMATCH = 0.9  # "OOO Druzhba" (a limited liability company) and "Druzhba, AO" (a joint-stock one)
# Families of legal forms that lists use for one another ("Co., Ltd." and "Corp." for one Chinese company).
LEGAL_FAMILY = {
    **dict.fromkeys(("ltd", "corp", "inc", "plc", "pte", "pty", "pvt", "kk", "sdn", "llp"), "limited"),
    **dict.fromkeys(("llc", "gmbh", "sarl", "srl", "sas", "bv"), "llc"),
    **dict.fromkeys(("jsc", "ag", "sa", "spa", "nv", "ab", "as", "oy", "kg"), "stock"),
    **dict.fromkeys(("fze", "dmcc"), "freezone"),
}
IDENTIFIER_MISMATCH = 0.3
CONTAINED = 0.72  # one name's identifying words all in the other's: into the review band


@dataclass(frozen=True, slots=True)
class Record:
    """A party as the matcher sees it: what any source or a screening input can give.

    ``names`` are the main name first, then aliases; ``identifiers`` are
    ``scheme:value`` strings (``ofac:30947``, ``uscc:914403001922038216``);
    ``countries`` are ISO alpha-3 codes. ``schema`` is Company, Organization,
    LegalEntity or Person.
    """

    id: str
    schema: str
    names: tuple[str, ...]
    countries: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()
    dataset: str = ""  # where the record comes from (one list, one file): two entries of one list are two parties

    @property
    def forms(self) -> tuple[NameForm, ...]:
        """Every usable normalised name (main name first), variants included."""
        return _forms(self.names)


@dataclass(frozen=True, slots=True)
class Score:
    """How alike two records are (``value``, 0 to 1), and the evidence in words (``reason``)."""

    value: float
    reason: str
    names: tuple[str, str] | None = field(default=None, compare=False)  # the two names that matched best
    via: str = "name"  # "name", "alias", "identifier" or "schema"


def record_from_props(label: str, props: Mapping[str, Any], dataset: str = "") -> Record:
    """A :class:`Record` from a graph node's properties (``name``, ``aliases``, ``xrefs``, ``country``...)."""
    names = [props.get("name") or "", *list(props.get("aliases") or [])]
    countries = list(props.get("countries") or [])
    if props.get("country"):
        countries.insert(0, props["country"])
    xrefs = [x for x in props.get("xrefs") or [] if x.split(":", 1)[0] in STRONG_SCHEMES]
    if props.get("lei"):
        xrefs.append(f"lei:{props['lei']}")
    return Record(
        props["id"],
        label,
        tuple(dict.fromkeys(n for n in names if n)),
        tuple(dict.fromkeys(c for c in countries if c and len(c) == 3)),
        tuple(dict.fromkeys(xrefs)),
        dataset,
    )


_PAREN = re.compile(r"^(?P<head>.+?)\s*\((?P<inner>[^()]+)\)\s*(?P<tail>[^()]*)$")


def name_variants(name: str) -> list[str]:
    """The name, plus the name without a parenthesised short name that only repeats it.

    "Semiconductor Manufacturing International Corporation (SMIC)" also gives
    the name without "(SMIC)" and "SMIC" itself; "Huawei Technologies (Australia)
    Pty Ltd." stays as it is, because the words in brackets tell it apart.

    >>> name_variants("HiSilicon Technologies Co., Ltd (HiSilicon)")
    ['HiSilicon Technologies Co., Ltd (HiSilicon)', 'HiSilicon Technologies Co., Ltd', 'HiSilicon']
    >>> name_variants("Huawei Technologies (Australia) Pty Ltd.")
    ['Huawei Technologies (Australia) Pty Ltd.']
    """
    out = [name]
    m = _PAREN.match(name)
    if m and not m["tail"].strip():
        head, inner = m["head"].strip(), m["inner"].strip()
        hf, inf = name_form(head), name_form(inner)
        repeats = len(inf.core) == 1 and (
            inf.core[0] in hf.core or inf.core[0] == initials(hf) or (inner.isupper() and len(inner) >= 3)
        )
        if repeats and hf.core:
            out += [head, inner]
    return out


@lru_cache(maxsize=1 << 17)
def _forms(names: tuple[str, ...]) -> tuple[NameForm, ...]:
    seen: dict[str, NameForm] = {}
    for n in names:
        for v in name_variants(n):
            f = name_form(v)
            if f.core and f.key not in seen:
                seen[f.key] = f
    return tuple(seen.values())


def _weight(word: str) -> float:
    return GENERIC_WEIGHT if word in GENERIC else 1.0


def name_similarity(a: NameForm, b: NameForm) -> float:
    """How alike two normalised names are, 0 to 1: weighted matched words over all words (order ignored).

    Words match exactly, or, when the names share a word already, by spelling
    (Levenshtein similarity of 0.75 or more, words of four letters or more).

    >>> round(name_similarity(name_form("Huawei Cloud Brazil"), name_form("Huawei Technologies")), 2)
    0.47
    >>> round(name_similarity(name_form("Cambrian Technologies Corporation"), name_form("Cambricon Technologies Corporation Limited")), 2)
    0.83
    """
    if a.key == b.key:
        return 1.0
    if a.compact == b.compact:
        return 0.98
    compact = 0.0
    if a.cjk or b.cjk or len(a.core) == 1 or len(b.core) == 1:
        # Without word breaks (pinyin of Chinese, or one run-together word) compare letters.
        if a.distinctive_compact == b.distinctive_compact:
            compact = 0.95
        else:
            compact = Levenshtein.normalized_similarity(a.compact, b.compact, score_cutoff=0.75) * 0.95
    common = a.words & b.words
    if not common:
        return compact
    total = a.weight + b.weight
    matched = sum(_weight(w) for w in common)
    rest_a = [w for w in a.core if w not in common and len(w) >= 4]
    rest_b = [w for w in b.core if w not in common and len(w) >= 4]
    found = set(common)
    for w in rest_a:
        best, at = 0.0, -1
        for j, v in enumerate(rest_b):
            sim = Levenshtein.normalized_similarity(w, v, score_cutoff=0.75)
            if sim < 0.8 and (
                (min(len(w), len(v)) >= 5 and (w.startswith(v) or v.startswith(w))) or skeleton(w) == skeleton(v)
            ):
                sim = 0.8
            if sim > best:
                best, at = sim, j
        if at >= 0:
            v = rest_b.pop(at)
            matched += best * min(_weight(w), _weight(v))
            found.update((w, v))
    words = 2 * matched / total
    # Every identifying word (two or more) of the shorter name is in the longer one ("Suzhou Ultranano" in "Suzhou
    # Ultranano Precision Optoelectronics Technology Co., Ltd."): a short form, worth a look, not a merge.
    short = a if len(a.distinctive) <= len(b.distinctive) else b
    if words < CONTAINED and len(short.distinctive) >= 2 and set(short.distinctive) <= found:
        words = CONTAINED
    return max(words, compact)


_SKELETON = (
    (r"(.)\1", r"\1"),
    ("kh", "h"),
    ("ks", "x"),
    ("ph", "f"),
    ("dh", "d"),
    ("th", "t"),
    ("ou", "u"),
    ("ee", "i"),
    ("ey", "i"),
    ("ei", "i"),
    ("y", "i"),
    ("w", "v"),
    ("j", "i"),
    ("q", "k"),
    ("c", "k"),
    ("e", "a"),
    ("o", "u"),
)


@lru_cache(maxsize=1 << 16)
def skeleton(word: str) -> str:
    """A word with the spelling choices of transliteration folded ("Aleksey" and "Alexei" → ``alaxi``)."""
    for pattern, repl in _SKELETON:
        word = re.sub(pattern, repl, word) if "(" in pattern else word.replace(pattern, repl)
    return word


def _acronym(a: NameForm, b: NameForm) -> bool:
    """One name is the other's initials ("SMIC" and "Semiconductor Manufacturing International Corp.")."""
    for short, long in ((a, b), (b, a)):
        if len(short.core) == 1 and 2 <= len(short.core[0]) <= 6 and short.core[0] == long.initials:
            return len(long.core) >= 2
    return False


def _form_pairs(fa: tuple[NameForm, ...], fb: tuple[NameForm, ...]) -> list[tuple[int, int]]:
    """The pairs of names worth comparing: all of them for few names, else those that share a word or could
    match letter by letter (one word, or Chinese), and the two main names."""
    if len(fa) * len(fb) <= 12:
        return [(i, j) for i in range(len(fa)) for j in range(len(fb))]
    loose_b = [j for j, y in enumerate(fb) if y.cjk or len(y.core) == 1]
    by_word: dict[str, list[int]] = {}
    for j, y in enumerate(fb):
        for w in y.words:
            by_word.setdefault(w, []).append(j)
    out = {(0, 0)}
    for i, x in enumerate(fa):
        if x.cjk or len(x.core) == 1:
            out.update((i, j) for j in range(len(fb)))
            continue
        out.update((i, j) for j in loose_b)
        for w in x.words:
            out.update((i, j) for j in by_word.get(w, ()))
    return sorted(out)


def _countries(a: Record, b: Record) -> str:
    if not a.countries or not b.countries:
        return "unknown"
    return "same" if set(a.countries) & set(b.countries) else "different"


def score(a: Record, b: Record) -> Score:
    """How alike ``a`` and ``b`` are, 0 to 1, with the reason in words.

    Symmetric and deterministic. The decision is the caller's: compare the
    value with :class:`graph.resolve.Thresholds` (auto-merge, review band, match),
    which ``Thresholds.of(graph.settings.load())`` reads from the settings.
    """
    if (a.schema in PERSON_SCHEMAS) != (b.schema in PERSON_SCHEMAS) and "LegalEntity" not in (a.schema, b.schema):
        return Score(0.0, f"a {a.schema} is not a {b.schema}", via="schema")
    shared = sorted(set(a.identifiers) & set(b.identifiers))
    if shared:
        return Score(1.0, f"same identifier {shared[0]}", via="identifier")
    best, names, via = 0.0, None, "name"
    fa, fb = a.forms, b.forms
    for i, j in _form_pairs(fa, fb):
        x, y = fa[i], fb[j]
        s = name_similarity(x, y)
        if s < 0.9 and _acronym(x, y):
            s = max(s, 0.7)
        if len(x.compact) <= 4 or len(y.compact) <= 4:
            s = min(s, SHORT_NAME_CAP)
        if i or j:
            s *= ALIAS_DISCOUNT
        if s >= 0.9 and (x.words & STRUCTURE_WORDS) != (y.words & STRUCTURE_WORDS):
            s *= STRUCTURE_MISMATCH
        if x.legal and y.legal and s >= 0.9:
            fx = {LEGAL_FAMILY.get(f, f) for f in x.legal}
            if not fx & {LEGAL_FAMILY.get(f, f) for f in y.legal}:
                s *= LEGAL_FORM_MISMATCH
        if s > best:
            best, names, via = s, (x.original, y.original), ("alias" if i or j else "name")
    if names is None:
        return Score(0.0, "no names to compare", via="name")
    parts = [f"{via} {names[0]!r} ~ {names[1]!r} {best:.2f}"]
    value = best
    countries = _countries(a, b)
    if countries == "different":
        value *= COUNTRY_MISMATCH
        parts.append(f"countries differ ({'/'.join(a.countries)} / {'/'.join(b.countries)})")
    conflict = _identifier_conflict(a.identifiers, b.identifiers)
    if conflict:
        value *= IDENTIFIER_MISMATCH
        parts.append(f"different {conflict}")
    return Score(round(value, 4), "; ".join(parts), names, via)


def _identifier_conflict(a: Iterable[str], b: Iterable[str]) -> str | None:
    """A scheme both records carry with no value in common (two USCCs, two OFAC entries), or None."""
    by_a: dict[str, set[str]] = {}
    for x in a:
        scheme, _, value = x.partition(":")
        by_a.setdefault(scheme, set()).add(value)
    by_b: dict[str, set[str]] = {}
    for x in b:
        scheme, _, value = x.partition(":")
        by_b.setdefault(scheme, set()).add(value)
    for scheme in sorted(set(by_a) & set(by_b)):
        if scheme in STRONG_SCHEMES and not by_a[scheme] & by_b[scheme]:
            return f"{scheme} identifiers ({min(by_a[scheme])} / {min(by_b[scheme])})"
    return None


def compare_names(name1: str, name2: str, schema: str = "Company", country1: str = "", country2: str = "") -> Score:
    """:func:`score` of two bare names, as ``python -m graph match`` and screening read them."""
    c1 = tuple(c for c in [country1] if c)
    c2 = tuple(c for c in [country2] if c)
    return score(Record("1", schema, (name1,), c1), Record("2", schema, (name2,), c2))


def best_names(records: Sequence[Record]) -> list[str]:
    """Every name of several records, once each, main names first (for the merged entity's aliases)."""
    return list(dict.fromkeys(n for r in records for n in r.names))
