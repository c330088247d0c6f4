"""OFAC's Specially Designated Nationals list (legacy CSV set), and its history from dated snapshots.

Reads the current set (``ofac-sdn/sdn.csv``, ``add.csv``, ``alt.csv``,
``sdn_comments.csv`` as ``python -m graph fetch`` brings them), the 2019
set in ``ofac-sdn/watchman-consistent-set/``, and every dated snapshot
``ofac-sdn-history/sdn-YYYY-MM-DD.csv`` found in a raw-data folder. Each entry
becomes a node ``ofac-<ent_num>`` (entities are ``Company``, individuals
``Person``, vessels ``Vessel`` and aircraft ``Aircraft``) with its aliases,
addresses, countries and what its remarks say (see :mod:`loaders.ofac_csv`),
``LINKED_TO`` the entries its remarks link it to, and ``LISTED_ON``
``us-ofac-sdn`` with its programs (one listing per entry, ``program`` holding
every programme joined by "; ": a designation is one entry on one list, and
its programmes are the authorities for it).

**Dates from snapshots.** With several snapshots, each run of snapshots
that hold an entry is one listing:

* ``valid_from`` is the first snapshot of the run (confidence medium, "first
  seen in the snapshot of D"), or unknown (null) when the run starts at the
  earliest snapshot read: the entry was listed on or before it;
* ``valid_to`` is the day before the first later snapshot that lacks the
  entry (confidence medium, "removed between A and B"): an entry is taken as
  listed until a snapshot shows it gone, as screening must.

The newest snapshot is the current list: its names, programmes and remarks
win. Aliases and addresses come from the newest set that has ``alt.csv`` and
``add.csv`` (the history holds ``sdn.csv`` only).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from graph.errors import SourceMissing
from loaders.base import Context, SourceInfo, fetched_at
from loaders.ofac_csv import Entry, emit, find_set, link, read_set

SDN = "us-ofac-sdn"
# OFAC's Sanctions List Service; the old treasury.gov/ofac/downloads/ addresses redirect here.
OFFICIAL = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/"
CURRENT = "ofac-sdn"
WATCHMAN = "ofac-sdn/watchman-consistent-set"
# The shared 2019 set: moov-io/watchman added these files on 2019-01-15, so they show the list on or before it.
WATCHMAN_DATE = dt.date(2019, 1, 15)
HISTORY = "ofac-sdn-history"
FILES = ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")
SOURCE = SourceInfo(
    id="src-ofac-sdn",
    publisher="US Department of the Treasury, Office of Foreign Assets Control (OFAC)",
    title="Specially Designated Nationals and Blocked Persons List (SDN), legacy CSV files",
    url=OFFICIAL + "SDN.CSV",
    license="US public domain (17 USC 105)",
    kind="dataset",
    files=tuple(f"{WATCHMAN}/{f}" for f in FILES),
    expected_rows={"sdn.csv": (5000, 30000), "add.csv": (5000, 40000), "alt.csv": (5000, 40000)},
    downloads={f"{CURRENT}/{f}": OFFICIAL + f.upper() for f in FILES},
)


@dataclass
class Snapshot:
    """One dated copy of the list: its sdn.csv and, for a full set, the other three files."""

    date: dt.date
    prim: Path
    add: Path | None = None
    alt: Path | None = None
    comments: Path | None = None


def snapshots(ctx: Context) -> list[Snapshot]:
    """Every snapshot found, oldest first: the history files, and the current set dated as it can be."""
    found: dict[dt.date, Snapshot] = {}
    for folder in ctx.raw_dirs:
        for path in sorted((folder / HISTORY).glob("sdn-*.csv")):
            m = re.fullmatch(r"sdn-(\d{4}-\d{2}-\d{2})\.csv", path.name)
            if m and (day := _day(m.group(1))) and day not in found:
                ctx.used(path, f"{HISTORY}/{path.name}", snapshot=day.isoformat())
                found[day] = Snapshot(day, path)
    for full in _full_sets(ctx):
        existing = found.get(full.date)
        found[full.date] = (
            full if existing is None else Snapshot(full.date, existing.prim, full.add, full.alt, full.comments)
        )
    if not found:
        raise SourceMissing(
            f"{SOURCE.id}: no SDN file in {', '.join(str(d) for d in ctx.raw_dirs)} ({CURRENT}/sdn.csv, "
            f"{WATCHMAN}/sdn.csv or {HISTORY}/sdn-YYYY-MM-DD.csv); run `python -m graph fetch {SOURCE.id}`"
        )
    return [found[d] for d in sorted(found)]


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _full_sets(ctx: Context) -> list[Snapshot]:
    """The full sets found, each with its date: the current one (fetched) and the 2019 one."""
    sets = []
    for folder, dated in ((CURRENT, None), (WATCHMAN, WATCHMAN_DATE)):
        found = find_set(ctx, folder, FILES)
        if found is None:
            continue
        prim, *others = found
        assert prim is not None  # find_set's primary file is always found
        day = dated or _fetched_on(prim)
        ctx.used(prim, f"{folder}/sdn.csv", snapshot=day.isoformat())
        sets.append(Snapshot(day, prim, *others))
    return sets


def _fetched_on(path: Path) -> dt.date:
    """The day a fetched file was downloaded (its manifest), or its modification day."""
    when = fetched_at(path)
    if when:
        with contextlib.suppress(ValueError):
            return dt.datetime.fromisoformat(when).date()
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).date()


def load(ctx: Context) -> None:
    """Emit every entry seen in any snapshot, its links, and one listing per run of snapshots holding it."""
    shots = snapshots(ctx)
    seen: list[dict[int, Entry]] = [read_set(ctx, s.prim, s.add, s.alt, s.comments) for s in shots]
    latest: dict[int, Entry] = {}
    for s, entries in zip(shots, seen):
        for n, e in entries.items():
            if s.add is None and n in latest:  # keep the aliases and addresses of an older full set
                e.aliases, e.addresses = e.aliases or latest[n].aliases, e.addresses or latest[n].addresses
            latest[n] = e
    said = {}
    for n, e in sorted(latest.items()):
        _, said[n] = emit(ctx, e)
    link(ctx, latest, said)
    ctx.at(ctx.source.id, 0)
    ctx.node(
        "SanctionList",
        SDN,
        "OFAC Specially Designated Nationals and Blocked Persons List",
        authority="US Department of the Treasury, OFAC",
        jurisdiction="USA",
        blocking=True,
        aliases=["SDN", "SDN List"],
        url="https://ofac.treasury.gov/specially-designated-nationals-and-blocked-persons-list-sdn-human-readable-lists",
    )
    ctx.edge("IMPOSED_BY", SDN, "USA", id=f"imposed-{SDN}")
    dates = [s.date for s in shots]
    for n, e in sorted(latest.items()):
        ctx.at(ctx.source.id, e.line)
        for k, (first, last) in enumerate(_runs([n in entries for entries in seen])):
            listed = seen[last][n]
            props = _dates(dates, first, last)
            ctx.edge(
                "LISTED_ON",
                f"ofac-{n}",
                SDN,
                id=f"ofac-sdn-{n}-{k}",
                entry=str(n),
                program="; ".join(listed.programs) or None,
                **props,
            )


def _runs(present: list[bool]) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    runs, start = [], None
    for i, here in enumerate([*present, False]):
        if here and start is None:
            start = i
        elif not here and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


def _dates(dates: list[dt.date], first: int, last: int) -> dict[str, object]:
    """valid_from, valid_to, confidence and note of a listing seen from snapshot ``first`` to ``last``."""
    notes = []
    props: dict[str, object] = {}
    if first == 0:
        notes.append(f"listed on or before {dates[0]}, the earliest snapshot read")
    else:
        props["valid_from"] = dates[first].isoformat()
        notes.append(f"first seen in the snapshot of {dates[first]}, absent from that of {dates[first - 1]}")
    if last + 1 < len(dates):
        props["valid_to"] = (dates[last + 1] - dt.timedelta(days=1)).isoformat()
        notes.append(f"removed between {dates[last]} and {dates[last + 1]}")
    if len(dates) > 1:
        props["confidence"] = "medium"
        props["confidence_note"] = "dates from dated snapshots of the list, not from the designation notices"
    props["note"] = "; ".join(notes)
    return props
