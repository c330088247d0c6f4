"""Blocking: the few pairs worth scoring, found without comparing all pairs.

Each record puts itself under a handful of keys: every strong identifier,
and for each of its names the sorted words (``k:``), the words run together
(``c:``), the identifying part run together (``d:``, which is where Chinese
and its pinyin meet), each identifying word (``w:``) and the name's initials
(``a:``, for acronyms). Records that share a key are candidates. A key shared
by more than ``max_block`` records ("huawei", "trading") says nothing about
any pair and is dropped, so the work grows with the number of records, not
with its square: one million names make a few million candidate pairs.

>>> from graph.resolve.match import Record
>>> recs = [Record("a", "Company", ("Huawei Technologies Co., Ltd.",)), Record("b", "Company", ("华为技术有限公司",)),
...         Record("c", "Company", ("ZTE Corporation",))]
>>> sorted(candidate_pairs(recs))
[(0, 1)]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from graph.resolve.match import PERSON_SCHEMAS, Record
from graph.resolve.normalize import GENERIC, initials

MAX_BLOCK = 40  # records under one word or acronym key before that key stops telling pairs apart
MAX_EXACT_BLOCK = 400  # records under one whole-name key


def record_keys(rec: Record) -> set[str]:
    """The blocking keys of one record.

    ``x:`` identifiers, ``k:`` sorted words, ``c:`` words run together, ``d:``
    identifying part run together, ``w:`` each identifying word, and for
    organisations ``i:`` the initials of a name of several words and ``s:`` a
    short one-word name (an ``s:`` key pairs with the ``i:`` key of the same letters).
    """
    keys = {f"x:{i}" for i in rec.identifiers}
    org = rec.schema not in PERSON_SCHEMAS
    for f in rec.forms:
        keys.add(f"k:{f.key}")
        keys.add(f"c:{f.compact}")
        if len(f.distinctive_compact) >= 4:
            keys.add(f"d:{f.distinctive_compact}")
        for w in f.core:
            if len(w) >= 3 and w not in GENERIC:
                keys.add(f"w:{w}")
        if org and len(f.core) >= 2:
            keys.add(f"i:{initials(f)}")
        elif org and 2 <= len(f.compact) <= 6:
            keys.add(f"s:{f.compact}")
    return keys


def _sole_words(rec: Record) -> set[str]:
    """Words that are the whole identifying part of one of the record's names ("Huawei" in "Huawei Co., Ltd.")."""
    return {f.distinctive[0] for f in rec.forms if len(f.distinctive) == 1}


def candidate_pairs(records: Sequence[Record], max_block: int = MAX_BLOCK) -> set[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of records that share a useful key and could be one party.

    A pair that shares only one identifying word is kept when that word is
    all that one of its names says ("Huawei"); otherwise two shared words are needed.
    """
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, rec in enumerate(records):
        for key in record_keys(rec):
            blocks[key].append(i)
    pairs: set[tuple[int, int]] = set()
    person = [r.schema in PERSON_SCHEMAS for r in records]
    sole: dict[int, set[str]] = {}
    words: dict[tuple[int, int], int] = defaultdict(int)
    for key in sorted(blocks):
        members = blocks[key]
        kind = key[0]
        if kind == "s":
            members = members + blocks.get(f"i:{key[2:]}", [])
        elif kind == "i" or len(members) < 2:
            continue
        cap = MAX_EXACT_BLOCK if kind in "xkc" else max_block
        if len(members) > cap:
            continue
        for a, b in _pairs(members):
            if a == b or (person[a] != person[b] and kind != "x"):
                continue
            if kind == "w":
                word = key[2:]
                sa = sole.get(a)
                if sa is None:
                    sa = sole[a] = _sole_words(records[a])
                sb = sole.get(b)
                if sb is None:
                    sb = sole[b] = _sole_words(records[b])
                if word in sa or word in sb:
                    pairs.add((a, b))
                else:
                    words[(a, b)] += 1
            else:
                pairs.add((a, b))
    pairs.update(p for p, n in words.items() if n >= 2)
    return pairs


def _pairs(members: list[int]) -> Iterator[tuple[int, int]]:
    for n, a in enumerate(members):
        for b in members[n + 1 :]:
            yield (a, b) if a < b else (b, a)
