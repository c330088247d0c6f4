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
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

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


class KeyIndex:
    """Blocking keys of many records, held as Arrow text and NumPy numbers rather than a dict of lists.

    A dict from each of 15 million keys to a list of record numbers takes
    about 4 GB; these arrays take a tenth of that. Each entry is a key, its
    record, whether the record is a person, and a flag: for a ``w:`` key,
    that the word is all one of the record's names says; for an acronym key,
    that it comes from a short one-word name (``s:``; it is stored as the
    ``i:`` key of the same letters, which it pairs with). Keys are grouped
    exactly (dictionary encoding, not hashing), so the result never depends
    on the process.
    """

    CHUNK = 200_000

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._owners: list[int] = []
        self._flags: list[bool] = []
        self._key_chunks: list[pa.Array] = []
        self._owner_chunks: list[np.ndarray] = []
        self._flag_chunks: list[np.ndarray] = []
        self.person: dict[int, bool] = {}

    def add(self, i: int, rec: Record) -> None:
        """Put record number ``i`` under each of its keys."""
        sole = None
        person = rec.schema in PERSON_SCHEMAS
        if person:
            self.person[i] = True
        for key in record_keys(rec):
            flag = False
            if key[0] == "w":
                if sole is None:
                    sole = _sole_words(rec)
                flag = key[2:] in sole
            elif key[0] == "s":
                key, flag = "i:" + key[2:], True
            self._keys.append(key)
            self._owners.append(i)
            self._flags.append(flag)
        if len(self._keys) >= self.CHUNK:
            self._seal()

    def _seal(self) -> None:
        if self._keys:
            self._key_chunks.append(pa.array(self._keys, pa.large_string()))  # 64-bit offsets: no 2 GB limit
            self._owner_chunks.append(np.array(self._owners, dtype=np.int64))
            self._flag_chunks.append(np.array(self._flags, dtype=bool))
            self._keys, self._owners, self._flags = [], [], []

    def pairs(self, max_block: int = MAX_BLOCK) -> set[tuple[int, int]]:
        """Index pairs ``(i, j)``, ``i < j``, of records that share a useful key and could be one party.

        A pair that shares only one identifying word is kept when that word is
        all that one of its names says ("Huawei"); otherwise two shared words are needed.
        """
        self._seal()
        if not self._key_chunks:
            return set()
        keys = pa.concat_arrays(self._key_chunks)
        self._key_chunks = []
        encoded = keys.dictionary_encode()
        del keys
        codes = encoded.indices.to_numpy()
        # The kind of each distinct key is its first byte ("x", "k", "w"...): read from Arrow's buffers.
        dictionary = encoded.dictionary
        offsets = np.frombuffer(dictionary.buffers()[1], dtype=np.int64)[
            dictionary.offset : dictionary.offset + len(dictionary)
        ]
        kinds = np.frombuffer(dictionary.buffers()[2], dtype=np.uint8)[offsets]
        del encoded, dictionary, offsets
        owners = np.concatenate(self._owner_chunks)
        flags = np.concatenate(self._flag_chunks)
        self._owner_chunks, self._flag_chunks = [], []
        order = np.argsort(codes, kind="stable")
        codes, owners, flags = codes[order], owners[order], flags[order]
        del order
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        sizes = np.diff(np.r_[starts, len(codes)])
        pairs: set[tuple[int, int]] = set()
        words: dict[tuple[int, int], int] = defaultdict(int)
        person = self.person
        for start, size in zip(starts[sizes >= 2].tolist(), sizes[sizes >= 2].tolist(), strict=True):
            kind = chr(kinds[codes[start]])
            members = owners[start : start + size].tolist()
            marks = flags[start : start + size].tolist()
            if kind == "i":
                if not any(marks):
                    continue  # initials pair only with a short name of the same letters
                kind = "s"
            cap = MAX_EXACT_BLOCK if kind in "xkc" else max_block
            if size > cap:
                continue
            for n, a in enumerate(members):
                for m in range(n + 1, size):
                    b = members[m]
                    if a == b or (person.get(a, False) != person.get(b, False) and kind != "x"):
                        continue
                    pair = (a, b) if a < b else (b, a)
                    if kind == "w" and not (marks[n] or marks[m]):
                        words[pair] += 1
                    else:
                        pairs.add(pair)
        pairs.update(p for p, n in words.items() if n >= 2)
        return pairs


def candidate_pairs(records: Sequence[Record], max_block: int = MAX_BLOCK) -> set[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of records that share a useful key and could be one party
    (see :meth:`KeyIndex.pairs`)."""
    index = KeyIndex()
    for i, rec in enumerate(records):
        index.add(i, rec)
    return index.pairs(max_block)
