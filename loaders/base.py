"""The loader contract: a declared source, and a context that emits records.

A loader module has:

* ``SOURCE``: a :class:`SourceInfo` (publisher, title, date, URL, licence,
  the raw files it reads and the row counts it expects);
* ``load(ctx: Context) -> None``: reads the files and calls ``ctx.node`` and
  ``ctx.edge``. It raises :class:`LoaderError` (via ``ctx.fail``) when a file's
  layout is not the one it knows, naming file, line and what it expected, and
  calls ``ctx.skip`` for a single bad row, which is reported, never dropped
  silently.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from graph.bulk import BulkWriter, Part, edge_records, node_records
from graph.errors import LoaderError, SourceMissing
from graph.model import EdgeRecord, NodeRecord, make_id


@dataclass(frozen=True)
class SourceInfo:
    """What a loader reads, and how it is cited."""

    id: str
    publisher: str
    title: str
    url: str
    license: str
    date: str | None = None
    kind: str = "dataset"
    files: tuple[str, ...] = ()  # paths relative to a raw-data folder
    expected_rows: dict[str, tuple[int, int]] = field(default_factory=dict)  # file -> (min, max) data rows
    cites_itself: bool = True  # False for curated data, whose records name their own sources
    # file (relative to a raw-data folder) -> URL of its official current download, for `python -m graph fetch`
    downloads: dict[str, str] = field(default_factory=dict)
    # Millions of rows: the context keeps them as Arrow columns, not records (graph.bulk).
    bulk: bool = False

    def as_props(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.title,
            "publisher": self.publisher,
            "title": self.title,
            "url": self.url,
            "license": self.license,
            "date": self.date,
            "kind": self.kind,
            "sources": [self.id],
        }


@dataclass
class LoadReport:
    """What a loader did: rows read per file, records emitted, rows skipped and why."""

    source: str
    rows_read: dict[str, int] = field(default_factory=dict)
    nodes: int = 0
    edges: int = 0
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    absent: str = ""  # why the whole source was left out of the build (its files are missing), or ""
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # file -> path, size, modified, snapshot date


class Context:
    """Emits records for one loader, stamping each with the loader's source."""

    def __init__(self, source: SourceInfo, raw_dirs: Sequence[Path]):
        self.source = source
        self.raw_dirs = list(raw_dirs)
        self.nodes: list[NodeRecord] = []
        self.edges: list[EdgeRecord] = []
        self.report = LoadReport(source.id)
        self._origin: tuple[str, int] = (source.id, 0)
        self._bulk = BulkWriter(source.id) if source.bulk else None

    # -- files ----------------------------------------------------------------------
    def find(self, relative: str) -> Path:
        """Locate a raw file in the configured folders, or fail saying where it was sought."""
        for folder in self.raw_dirs:
            candidate = folder / relative
            if candidate.is_file():
                self.used(candidate, relative)
                return candidate
        tried = ", ".join(str(d / relative) for d in self.raw_dirs)
        how = (
            f"run `python -m graph fetch {self.source.id}`"
            if self.source.downloads
            else f"download it from {self.source.url} and put it under data/raw/{relative}"
        )
        raise SourceMissing(f"{self.source.id}: cannot find {relative} (tried {tried}); {how}, or set TECHGEO_RAW_DIRS")

    def glob(self, folder: str, patterns: Sequence[str]) -> list[Path]:
        """Every file of ``folder`` matching ``patterns`` in the raw-data folders, each name once (the first
        folder that has it wins, as :meth:`find`), recorded as used; in name order."""
        found: dict[str, Path] = {}
        for raw in self.raw_dirs:
            for pattern in patterns:
                for path in sorted((raw / folder).glob(pattern)):
                    found.setdefault(path.name, path)
        for path in found.values():
            self.used(path, f"{folder}/{path.name}")
        return sorted(found.values(), key=lambda p: p.name)

    def used(self, path: Path, relative: str, snapshot: str | None = None) -> None:
        """Record a file the loader reads (where, how big, how old, the date of its data), for the Sources page."""
        stat = path.stat()
        fetched = fetched_at(path)
        self.report.files[relative] = {
            "path": str(path),
            "bytes": stat.st_size,
            "modified": dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC).isoformat(timespec="seconds"),
            **({"fetched_at": fetched} if fetched else {}),
            **({"snapshot": snapshot} if snapshot else {}),
        }

    def at(self, file: str | Path, line: int) -> None:
        """Set the file and line that the next records come from, for messages."""
        self._origin = (str(file), line)

    def count(self, file: str, rows: int) -> None:
        """Record rows read from a file and check them against the expected range."""
        self.report.rows_read[file] = rows
        lo, hi = self.source.expected_rows.get(file, (0, 10**9))
        if not lo <= rows <= hi:
            self.report.warnings.append(f"{file}: {rows} rows, expected {lo} to {hi}; has the source changed?")

    # -- records --------------------------------------------------------------------
    def make_id(self, *parts: object) -> str:
        return make_id(self.source.id, *parts)

    def node(self, label: str, node_id: str, name: str, **props: Any) -> str:
        """Emit a node citing this source (plus any ``sources`` given); return its id."""
        sources = self._sources(props.pop("sources", []))
        values = {"id": node_id, "name": name, **props, "sources": sources}
        if self._bulk is None:
            self.nodes.append(NodeRecord(label, values, self._origin))
        else:
            self._bulk.node(label, values, self._origin)
        self.report.nodes += 1
        return node_id

    def edge(self, rel_type: str, start: str, end: str, **props: Any) -> None:
        """Emit a relationship citing this source (plus any ``sources`` given)."""
        sources = self._sources(props.pop("sources", []))
        if self._bulk is None:
            self.edges.append(EdgeRecord(rel_type, start, end, {**props, "sources": sources}, self._origin))
        else:
            self._bulk.edge(rel_type, start, end, {**props, "sources": sources}, self._origin)
        self.report.edges += 1

    def finish(self) -> Part | None:
        """After ``load``: a bulk loader's rows as tables (the rows kept as records join ``nodes`` and ``edges``)."""
        if self._bulk is None:
            return None
        part = self._bulk.finish()
        self.nodes += self._bulk.nodes
        self.edges += self._bulk.edges
        self._bulk = None
        return part

    def materialise(self) -> None:
        """After ``load``: every row as a record in ``nodes`` and ``edges``, for tests that read them one by one."""
        part = self.finish()
        for label, table in (part.nodes if part else {}).items():
            self.nodes += node_records(label, table)
        for rel_type, table in (part.edges if part else {}).items():
            self.edges += edge_records(rel_type, table)

    def _sources(self, given: list[str]) -> list[str]:
        return list(dict.fromkeys([*given, self.source.id] if self.source.cites_itself else given))

    def skip(self, reason: str) -> None:
        """Report a bad row that is left out, with where it is."""
        self.report.skipped.append(f"{self._origin[0]}:{self._origin[1]}: {reason}")

    def fail(self, message: str) -> LoaderError:
        """An error for a file whose layout the loader does not know."""
        return LoaderError(f"{self._origin[0]}:{self._origin[1]}: {message}")


def iso_date(value: Any) -> str | None:
    """An Excel or text date as ISO ``YYYY-MM-DD``, or None when blank."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return dt.date.fromisoformat(str(value).strip()).isoformat()


def fetched_at(path: Path) -> str | None:
    """When ``python -m graph fetch`` brought this file in, from the MANIFEST.json beside it (None if it did not)."""
    try:
        entry = json.loads((path.parent / "MANIFEST.json").read_text(encoding="utf-8")).get(path.name)
    except (OSError, ValueError, AttributeError):
        return None
    return entry.get("fetched_at") if isinstance(entry, dict) else None


def open_text(ctx: Context, path: Path, member: str, expected: str) -> IO[str]:
    """A UTF-8 text stream of ``path``, or of the one ``member`` file (``.csv``, ``.tsv``) inside it when
    it is a zip archive, as publishers ship their bulk files; ``expected`` names the archive in errors."""
    if not path.name.endswith(".zip"):
        return path.open(encoding="utf-8-sig", newline="")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ctx.fail(f"not a zip archive ({exc}); expected {expected}") from exc
    names = [n for n in archive.namelist() if n.lower().endswith(member)]
    if len(names) != 1:
        kind = member.lstrip(".").upper()
        raise ctx.fail(f"the archive holds {len(names)} {kind} files, expected one: {archive.namelist()[:5]}")
    return io.TextIOWrapper(archive.open(names[0]), encoding="utf-8-sig", newline="")
