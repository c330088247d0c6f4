"""The embedded store: one LadybugDB file, no server.

The live file is only ever opened read-only. Every write (an import, a build)
goes to a private copy, which replaces the live file by an atomic rename when,
and only when, the whole write succeeded. A failed write therefore leaves the
previous graph serving, and readers never see half a batch.

Bulk writes use LadybugDB's ``COPY FROM`` of Arrow tables for new rows and
``LOAD FROM ... SET`` for rows that exist, because row-by-row ``MERGE`` is
two orders of magnitude slower in LadybugDB.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import glob
import os
import re
import shutil
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import ladybug
import pyarrow as pa
import pyarrow.compute as pc

from graph.analytics.topology import NODE_COLUMNS, Topology, conform, edge_table
from graph.errors import QueryError, QueryTimeout, StoreError, StoreUnavailable, WriteRefused
from graph.model import Batch
from graph.schema import LabelSpec, RelSpec, Schema
from graph.settings import QueryLimits
from graph.store.base import VALID_ON, VALID_ON_YEAR, GraphStore, WriteResult, clean


class EmbeddedStore(GraphStore):
    """A LadybugDB file. Open it with ``EmbeddedStore(path)``; it is created on first write."""

    kind = "embedded"

    def __init__(self, path: str | os.PathLike[str], schema: Schema | None = None, limits: QueryLimits | None = None):
        super().__init__(schema, limits)
        self.path = Path(path).resolve()
        self._db: ladybug.Database | None = None
        self._conn: ladybug.Connection | None = None
        self._lock = threading.Lock()
        self._write_lock_depth = 0  # > 0 while this object holds ``<store>.lock`` (see locked())

    # -- connection ---------------------------------------------------------------
    def describe(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.is_file()

    def _reader(self) -> ladybug.Connection:
        if self._conn is None:
            if not self.path.is_file():
                raise StoreUnavailable(
                    f"no graph at {self.path}; run `python -m graph build` (or `python -m graph import DIR`) first"
                )
            self._db, self._conn = _open_read_only(self.path, [*self.schema.labels, *self.schema.relationships])
        return self._conn

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._db is not None:
            self._db.close()
        self._conn = self._db = None

    # -- reads --------------------------------------------------------------------------
    def _worker_spec(self) -> dict[str, Any]:
        return {"kind": "embedded", "path": str(self.path)}

    def _rows(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[list[Any]]:
        with self._lock:  # a reopen by another thread waits for this read, and this one for it
            conn = self._reader()
            try:
                result = conn.execute(cypher, dict(params or {}))
                rows = result.get_all()
                result.close()
            except RuntimeError as exc:
                raise self._translate(exc, None) from exc
        return [_clean_row(r) for r in rows]

    @staticmethod
    def _translate(exc: RuntimeError, timeout: float | None) -> Exception:
        text = str(exc)
        if "Interrupted" in text:
            return QueryTimeout(f"query stopped after its {timeout:g} s time limit; narrow it or raise the time limit")
        if "read-only" in text or "read only" in text:
            return WriteRefused("refused: the graph is opened read-only; use `python -m graph import` to add data")
        return QueryError(text.replace("\n", " "))

    def labels_of(self, ids: Iterable[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(ids))
        if not wanted or not self.exists():
            return {}
        # A join per label uses each table's primary-key index; `n.id IN $ids`
        # over all tables would scan them, which is slow for big imports.
        ids = pa.array(wanted, pa.string())
        found: dict[str, str] = {}
        with self._lock:
            conn = self._reader()
            for label in self.schema.labels:
                found.update((i, label) for i in _existing(conn, "MATCH (n:" + label + " {id: p_id})", ids))
        return found

    def _incident(self, ids: list[str]) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
        rows = self._rows(
            "MATCH (a)-[r]->(b) WHERE (a.id IN $ids OR b.id IN $ids)"
            " AND NOT label(a) IN $detail AND NOT label(b) IN $detail RETURN a, r, b",
            {"ids": ids, "detail": list(self.schema.detail_labels)},
        )
        return [(a, r, b) for a, r, b in rows]

    def _edge_pattern(self, rel_type: str) -> str | None:
        """``(a)-[r:TYPE]->(b)``, its ends narrowed to the labels that are not detail records (so a
        holder's 100,000 patents are not even read); None when every one of them touches a detail record."""
        ends = self.schema.shown_ends(rel_type)
        if ends is None:
            return "(a)-[r:" + rel_type + "]->(b)"
        if not ends[0] or not ends[1]:
            return None
        return "(a:" + ":".join(ends[0]) + ")-[r:" + rel_type + "]->(b:" + ":".join(ends[1]) + ")"

    def _node_pattern(self) -> str:
        """Every node that is not a detail record (Ladybug reads ``(n:A:B)`` as A or B)."""
        return "(n:" + ":".join(self.schema.shown_labels) + ")"

    def _among(self, ids: list[str]) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
        rows = self._rows("MATCH (a)-[r]->(b) WHERE a.id IN $ids AND b.id IN $ids RETURN a, r, b", {"ids": ids})
        return [(a, r, b) for a, r, b in rows]

    def _all_edges(self, types: list[str]) -> list[tuple[str, str, str, dict[str, Any]]]:
        # Read as Arrow columns: a million relationships come back in seconds, not minutes, row by row.
        out = []
        for rel_type in types:
            rel = self.schema.relationships[rel_type]
            pattern = self._edge_pattern(rel_type)
            if pattern is None:
                continue
            names = list(rel.properties)
            table = self._arrow("MATCH " + pattern + " RETURN a.id, b.id, " + ", ".join("r." + p for p in names))
            columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
            for a, b, *values in zip(*columns, strict=True):
                out.append((a, b, rel_type, {k: v for k, v in zip(names, values, strict=True) if v is not None}))
        return out

    def topology(
        self,
        types: Iterable[str] | None = None,
        as_of: dt.date | None = None,
        properties: Iterable[str] | None = None,
    ) -> Topology:
        """Columnar read: each table comes back as Arrow, with the as-of filter applied in the query."""
        wanted = list(types) if types else list(self.schema.relationships)
        keep = None if properties is None else {"id", *properties}
        nodes = self._arrow("MATCH " + self._node_pattern() + " RETURN n.id AS id, label(n) AS label, n.name AS name")
        tables = []
        for rel_type in wanted:
            pattern = self._edge_pattern(rel_type)
            if pattern is None:
                continue
            props = [p for p in self.schema.relationships[rel_type].properties if keep is None or p in keep]
            cols = "".join(f", r.{p} AS {p}" for p in props)
            has_year = "year" in self.schema.relationships[rel_type].properties
            where = "" if as_of is None else " WHERE " + (VALID_ON_YEAR if has_year else VALID_ON)
            params = None if as_of is None else {"as_of": as_of, **({"as_of_year": as_of.year} if has_year else {})}
            tables.append(
                self._arrow(
                    "MATCH " + pattern + where + " RETURN a.id AS `start`, b.id AS `end`, "
                    "'" + rel_type + "' AS `type`" + cols,
                    params,
                )
            )
        columns = edge_table([], properties).schema
        edges = pa.concat_tables([conform(t, columns) for t in tables if t.num_rows] or [columns.empty_table()])
        return Topology(nodes.cast(NODE_COLUMNS), edges)

    def _arrow(self, cypher: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        with self._lock:
            conn = self._reader()
            try:
                return conn.execute(cypher, dict(params or {})).get_as_arrow()
            except RuntimeError as exc:
                raise self._translate(exc, None) from exc

    def _all_nodes(self) -> list[tuple[str, str, str]]:
        table = self._arrow("MATCH " + self._node_pattern() + " RETURN n.id, label(n), n.name")
        return list(zip(*(table.column(i).to_pylist() for i in range(3)), strict=True))

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        nodes = dict.fromkeys(self.schema.labels, 0)
        for lab, n in self._rows("MATCH (n) RETURN label(n), count(*)"):
            nodes[lab] = n
        rels = dict.fromkeys(self.schema.relationships, 0)
        for t, n in self._rows("MATCH ()-[r]->() RETURN label(r), count(*)"):
            rels[t] = n
        return nodes, rels

    # -- writes -------------------------------------------------------------------------
    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's write lock, ``<store>.lock``, for validation and the write that follows.

        Another writer (another import, a build) waits until the block ends, so
        the ids a validation finds in the store are still the store's when the
        batch is written: two imports at once cannot put one id under two
        labels. Reentrant for this store object; :meth:`write` takes it too.
        On taking it, the read handle is dropped (a writer may have swapped in
        a new file meanwhile) and leftovers of killed writers are removed.
        """
        if self._write_lock_depth:
            self._write_lock_depth += 1
            try:
                yield
            finally:
                self._write_lock_depth -= 1
            return
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = open(lock_path, "w")  # noqa: SIM115 - held across the yield below
        except OSError as exc:
            raise StoreUnavailable(
                f"cannot write the graph at {self.path}: {_reason(exc)}; choose a --store in a folder you can write"
            ) from exc
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._write_lock_depth = 1
            try:
                self._close()  # another process may have swapped in a new file
                self._remove_leftovers()
                yield
            finally:
                self._write_lock_depth = 0

    def _remove_leftovers(self) -> None:
        """Remove the private copies (and LadybugDB's files beside them) of writers that died.

        Only called with the write lock held, so no live writer of this store
        is mid-copy; the pid check is a second fence for a folder shared with
        another machine, where the lock may not reach.
        """
        prefix = f".{self.path.name}."
        for leftover in self.path.parent.glob(glob.escape(prefix) + "*.tmp*"):
            pid, sep, rest = leftover.name[len(prefix) :].partition(".tmp")
            if sep and pid.isdigit() and (not rest or rest.startswith(".")) and not _alive(int(pid)):
                with suppress(FileNotFoundError):
                    leftover.unlink()

    @contextmanager
    def _private_copy(self, fresh: bool) -> Iterator[ladybug.Connection]:
        """Yield a writable connection to a copy of the store; swap it in on success.

        On any failure the copy and every file LadybugDB made beside it are
        removed, so a full disk gets its room back.
        """
        with self.locked():
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            _remove(tmp)
            db: ladybug.Database | None = None
            conn: ladybug.Connection | None = None
            try:
                if not fresh and self.path.is_file():
                    shutil.copyfile(self.path, tmp)
                db = ladybug.Database(str(tmp))
                conn = ladybug.Connection(db)
                for ddl in self.schema.ladybug_ddl():
                    conn.execute(ddl)
                yield conn
                conn.close()
                db.close()
                self._close()  # drop the read handle on the old file before the swap
                os.replace(tmp, self.path)
            except BaseException as exc:
                for handle in (conn, db):
                    if handle is not None:
                        with suppress(Exception):
                            handle.close()
                # LadybugDB may recreate its empty checkpoint lock files when the traceback lets go of
                # its handles; the next write removes those (see _remove_leftovers).
                _remove(tmp)
                if _no_room(exc):
                    raise StoreError(
                        f"disk full at {self.path} ({_reason(exc)}); freed the partial copy; nothing was written"
                    ) from exc
                if isinstance(exc, OSError) or (isinstance(exc, RuntimeError) and _IO_FAILURE.search(str(exc))):
                    raise StoreError(
                        f"cannot write the graph at {self.path} ({_reason(exc)}); freed the partial copy; "
                        "nothing was written"
                    ) from exc
                raise
            _remove(self.path.with_name(self.path.name + ".wal"))

    def create(self) -> None:
        """Create an empty store with the schema, if none exists yet."""
        if not self.exists():
            with self._private_copy(fresh=True):
                pass

    def write(self, batch: Batch, replace: bool = False) -> WriteResult:
        result = WriteResult()
        try:
            with self._private_copy(fresh=replace) as conn:
                for label, table in batch.node_tables(self.schema).items():
                    created, updated = _write_nodes(conn, self.schema.labels[label], table)
                    result.nodes_created += created
                    result.nodes_updated += updated
                by_type: dict[str, dict[tuple[str, str], pa.Table]] = defaultdict(dict)
                for (rel_type, a, b), table in batch.edge_tables(self.schema).items():
                    by_type[rel_type][(a, b)] = table
                for rel_type, tables in by_type.items():
                    created, updated = _write_edges(conn, self.schema.relationships[rel_type], tables)
                    result.edges_created += created
                    result.edges_updated += updated
        except RuntimeError as exc:
            raise StoreError(f"write to {self.path} failed and was rolled back: {exc}") from exc
        return result

    def clear(self) -> None:
        with self._private_copy(fresh=True):
            pass

    def identity(self) -> tuple[int, int] | None:
        """The live file's (inode, modification time in ns), or None when absent.

        A write swaps in a new file (a new inode), so a reader that saw another
        identity when it opened is reading a replaced file and should reopen.
        """
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def reopen(self) -> None:
        """Drop the read handle once no read is running on it; the next read opens the file now at the path."""
        with self._lock:
            self._close()  # query workers follow the file by themselves


def _remove(path: Path) -> None:
    """Remove a database file and what LadybugDB keeps beside it (``.wal``, ``.shadow``, checkpoint locks)."""
    for p in (path, *path.parent.glob(glob.escape(path.name) + ".*")):
        with suppress(FileNotFoundError):
            p.unlink()


def _alive(pid: int) -> bool:
    """Whether a process with this pid exists (it may belong to another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _no_room(exc: BaseException) -> bool:
    """Whether a write failed for want of room: a full disk, a quota, a file size limit."""
    if isinstance(exc, OSError):
        return exc.errno in _NO_ROOM
    text = str(exc)
    return isinstance(exc, RuntimeError) and any(os.strerror(e) in text for e in _NO_ROOM)


# LadybugDB's words for a failed read or write of its file ("IO exception: Cannot write to file. path: ...").
_IO_FAILURE = re.compile(r"IO exception: [^.:]*")


def _reason(exc: BaseException) -> str:
    """A few words saying why a file operation failed: the OS's, or the gist of LadybugDB's."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc)
    for e in _NO_ROOM:
        if os.strerror(e) in text:
            return os.strerror(e)
    io_failure = _IO_FAILURE.search(text)
    return io_failure.group(0).strip() if io_failure else " ".join(text.split())


def _is_empty(conn: ladybug.Connection, pattern: str) -> bool:
    return conn.execute("MATCH " + pattern + " RETURN count(*)").get_next()[0] == 0


def _existing(conn: ladybug.Connection, match: str, ids: pa.Array | pa.ChunkedArray) -> set[str]:
    id_batch = pa.table({"p_id": ids})  # noqa: F841 - scanned by name below
    result = conn.execute("LOAD FROM id_batch " + match + " RETURN DISTINCT p_id")
    return {row[0] for row in result.get_all()}


def _write_nodes(conn: ladybug.Connection, spec: LabelSpec, table: pa.Table) -> tuple[int, int]:
    """Copy new nodes in; update the properties of nodes whose id exists."""
    existing: set[str] = set()
    if not _is_empty(conn, "(n:" + spec.name + ")"):
        existing = _existing(conn, "MATCH (n:" + spec.name + " {id: p_id})", table.column("id"))
    if existing:
        is_old = pc.is_in(table.column("id"), value_set=pa.array(sorted(existing), pa.string()))
        update_batch = table.filter(is_old)
        update_batch = update_batch.rename_columns(["p_" + c for c in update_batch.column_names])
        sets = ", ".join(f"n.{name} = p_{name}" for name in spec.properties if name != "id")
        conn.execute("LOAD FROM update_batch MATCH (n:" + spec.name + " {id: p_id}) SET " + sets)
        table = table.filter(pc.invert(is_old))
    if table.num_rows:
        node_batch = table  # noqa: F841 - scanned by name below
        conn.execute("COPY " + spec.name + " FROM node_batch")
    return table.num_rows, len(existing)


def _write_edges(conn: ladybug.Connection, spec: RelSpec, tables: dict[tuple[str, str], pa.Table]) -> tuple[int, int]:
    """Replace edges whose id exists (their ends may have moved), then copy all in."""
    existing: set[str] = set()
    if not _is_empty(conn, "()-[r:" + spec.name + "]->()"):
        ids = pa.chunked_array([t.column("id") for t in tables.values()])
        existing = _existing(conn, "MATCH ()-[r:" + spec.name + "]->() WHERE r.id = p_id", ids)
    if existing:
        id_batch = pa.table({"p_id": pa.array(sorted(existing), pa.string())})  # noqa: F841
        conn.execute("LOAD FROM id_batch MATCH ()-[r:" + spec.name + "]->() WHERE r.id = p_id DELETE r")
    total = 0
    for (a, b), edge_batch in tables.items():
        conn.execute("COPY " + spec.name + " FROM edge_batch (from='" + a + "', to='" + b + "')")
        total += edge_batch.num_rows
    return total - len(existing), len(existing)


def _internal(ref: Mapping[str, int]) -> tuple[int, int]:
    return ref["table"], ref["offset"]


def _clean_row(row: list[Any]) -> list[Any]:
    """Clean one result row; relationships get ``_start``/``_end`` ids when their nodes are in the row."""
    ids = {_internal(v["_ID"]): v.get("id") for v in row if isinstance(v, dict) and "_ID" in v and "_SRC" not in v}
    out = [_clean_value(v) for v in row]
    for raw, clean_v in zip(row, out):
        if isinstance(raw, dict) and "_SRC" in raw:
            clean_v["_start"] = ids.get(_internal(raw["_SRC"]))
            clean_v["_end"] = ids.get(_internal(raw["_DST"]))
    return out


def _clean_value(value: Any) -> Any:
    """Turn LadybugDB's node, rel and path structs into plain dicts keyed like Neo4j's."""
    if isinstance(value, dict):
        if "_NODES" in value and "_RELS" in value:
            ids = {_internal(n["_ID"]): n.get("id") for n in value["_NODES"]}
            rels = [
                {**_clean_value(r), "_start": ids.get(_internal(r["_SRC"])), "_end": ids.get(_internal(r["_DST"]))}
                for r in value["_RELS"]
            ]
            return {"_path": True, "nodes": [_clean_value(n) for n in value["_NODES"]], "relationships": rels}
        if "_LABEL" in value and "_SRC" in value:
            props = {k: v for k, v in value.items() if not k.startswith("_")}
            return {"_type": value["_LABEL"], **clean(props)}
        if "_LABEL" in value and "_ID" in value:
            props = {k: v for k, v in value.items() if not k.startswith("_")}
            return {"_label": value["_LABEL"], **clean(props)}
        return {k: _clean_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_value(v) for v in value]
    return value


def _open_read_only(path: Path, tables: Iterable[str]) -> tuple[ladybug.Database, ladybug.Connection]:
    """Open the live file read-only, and check it is a graph: LadybugDB's own messages for a
    corrupt, truncated or foreign file (``std::bad_alloc``, "may be checkpointing, retry", or,
    for an empty file, "Table Source does not exist" at the first query) do not say what to do."""
    db: ladybug.Database | None = None
    try:
        db = ladybug.Database(str(path), read_only=True)
        conn = ladybug.Connection(db)
        found = {row[0] for row in conn.execute("CALL show_tables() RETURN name").get_all()}
    except (RuntimeError, MemoryError) as exc:  # pybind11 turns std::bad_alloc into MemoryError
        if db is not None:
            with suppress(Exception):
                db.close()
        reason = " ".join(str(exc).replace("Runtime exception: ", "").split()) or type(exc).__name__
        raise StoreUnavailable(
            f"{path} is not a readable LadybugDB graph ({reason}); rebuild it with `python -m graph build`"
        ) from exc
    wanted = list(tables)
    missing = [t for t in wanted if t not in found]
    if missing:
        conn.close()
        db.close()
        what = "it lacks the tables " + ", ".join(missing) if len(missing) < len(wanted) else "it holds no graph tables"
        raise StoreUnavailable(
            f"{path} is not a readable LadybugDB graph ({what}); rebuild it with `python -m graph build`"
        )
    return db, conn
