"""The Neo4j store: a Neo4j 5.26 server over Bolt, through the official driver.

Writes run in one explicit transaction, so a failed import or build leaves the
graph as it was; a bulk write too large for one transaction is written in
committed chunks by parallel sessions, each chunk noting in the database the
ids it created (``:ImportBatch`` and ``:ImportChunk`` nodes), so that what an
unfinished bulk write created is removed again: at once if it fails, on the
next write if its process was killed. Every node also carries the label
:data:`graph.schema.ENTITY`, whose constraint keeps an id unique across labels
even when two imports run at once. Reads run in read transactions, after an
``EXPLAIN`` that refuses any query whose plan would write, with the driver's
per-transaction timeout and a row cap.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import neo4j
import pyarrow as pa
import pyarrow.compute as pc
from neo4j import exceptions as nex

from graph.errors import (
    AuthFailed,
    QueryError,
    QueryTimeout,
    StoreError,
    StoreUnavailable,
    WriteRefused,
)
from graph.model import Batch
from graph.schema import ENTITY, Schema
from graph.settings import QueryLimits
from graph.store.base import GraphStore, WriteResult, clean

BATCH = 10_000
EMPTY_CHECK_FROM = 1_000  # ids in a labels_of lookup from which an empty database is checked first
WRITERS = 3  # concurrent chunk writers for bulk imports (one server, two or more cores)
# Up to this many rows a write is one transaction; the test server's 4 GiB heap holds it.
ATOMIC_ROWS = 250_000
# How long a write waits for the lock an unfinished bulk write's process holds on its :ImportBatch
# node before taking that process to be alive (a dead process's lock is released by the server).
ALIVE_PROBE_SECONDS = 1.0
# The bookkeeping of bulk writes in committed chunks; internal to this store, never entities.
BOOKKEEPING_DDL = (
    "CREATE CONSTRAINT import_batch_id IF NOT EXISTS FOR (b:ImportBatch) REQUIRE b.id IS UNIQUE",
    "CREATE INDEX import_chunk_batch IF NOT EXISTS FOR (c:ImportChunk) ON (c.batch)",
)


# "Node(12) already exists with label `Entity` and property `id` = 'x'": the id two labels claimed.
_ENTITY_CLASH = re.compile(r"label `" + ENTITY + r"` and property `id` = ('.*')")


def redact(uri: str) -> str:
    """The URI without any user:password part."""
    scheme, sep, rest = uri.partition("://")
    return scheme + sep + rest.rpartition("@")[2] if sep else uri.rpartition("@")[2]


class Neo4jStore(GraphStore):
    """A Neo4j database. ``Neo4jStore(uri, user, password, database)``."""

    kind = "neo4j"

    def __init__(
        self,
        uri: str,
        user: str = "neo4j",
        password: str = "",
        database: str = "neo4j",
        schema: Schema | None = None,
        limits: QueryLimits | None = None,
    ):
        super().__init__(schema, limits)
        self.uri, self.database = uri, database
        self._user, self._password = user, password
        # The driver takes other schemes (http:// needs a module we do not ship: a traceback) and reads
        # malformed URIs in its own ways: check the URI first, and name what was given without credentials.
        schemes = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
        try:
            parts = urllib.parse.urlsplit(uri)
            port_ok = parts.port is None or parts.port > 0  # .port raises ValueError when not a number 0-65535
        except ValueError:
            parts, port_ok = None, False
        if parts is None or parts.scheme not in schemes or not parts.hostname or not port_ok:
            raise StoreError(
                f"{redact(uri)!r} is not a Neo4j URI: use one of the schemes {', '.join(schemes)} with a host "
                "and an optional port, e.g. bolt://127.0.0.1:7687 (check NEO4J_URI or --neo4j)"
            )
        if parts.username is not None:
            raise StoreError(
                f"the Neo4j URI {redact(uri)!r} carries credentials; give them in NEO4J_USER and NEO4J_PASSWORD"
            )
        log = logging.getLogger("neo4j")
        level = log.level
        try:
            # The driver logs routing failures as well as raising them; the raise is the one line to show.
            log.setLevel(logging.CRITICAL)
            self._driver = neo4j.GraphDatabase.driver(uri, auth=(user, password), connection_timeout=5.0)
            self._driver.verify_connectivity()
        except nex.AuthError as exc:
            raise AuthFailed(
                f"Neo4j at {redact(uri)} refused user {user!r}: check NEO4J_USER and NEO4J_PASSWORD"
            ) from exc
        except (nex.ServiceUnavailable, OSError, ValueError, nex.ConfigurationError) as exc:
            raise StoreUnavailable(
                f"cannot reach Neo4j at {redact(uri)} ({type(exc).__name__}); start it "
                "(`python tools/neo4j/server.py start`) or check NEO4J_URI"
            ) from exc
        finally:
            log.setLevel(level)
        self._schema_ready = False

    def describe(self) -> str:
        return f"{redact(self.uri)} (database {self.database})"

    def _close(self) -> None:
        self._driver.close()

    def exists(self) -> bool:
        return True

    def _ensure_schema(self) -> None:
        """Before the first write: constraints and indexes, the shared label on nodes written
        before it existed, and the removal of what unfinished bulk writes of dead processes created."""
        if self._schema_ready:
            return
        try:
            with self._driver.session(database=self.database) as s:
                for ddl in (*self.schema.neo4j_ddl(), *BOOKKEEPING_DDL):
                    s.run(ddl).consume()
                # The count store answers both counts without a scan; only an older database differs.
                # Bookkeeping nodes of a running bulk write carry no Entity label, so count labels only.
                entities = s.run("MATCH (n:" + ENTITY + ") RETURN count(n) AS n").single(strict=True)["n"]
                labelled = sum(
                    s.run("MATCH (n:" + label + ") RETURN count(n) AS n").single(strict=True)["n"]
                    for label in self.schema.labels
                )
                if entities != labelled:
                    for label in self.schema.labels:
                        s.run(
                            "MATCH (n:" + label + ") WHERE NOT n:" + ENTITY + " "
                            "CALL (n) { SET n:" + ENTITY + " } IN TRANSACTIONS OF 10000 ROWS"
                        ).consume()
            self._recover()
        except (nex.Neo4jError, nex.ServiceUnavailable) as exc:
            raise StoreError(f"cannot prepare Neo4j at {redact(self.uri)} for writing: {self._reason(exc)}") from exc
        self._schema_ready = True

    # -- bookkeeping of bulk writes in committed chunks -------------------------------
    def _recover(self) -> None:
        """Remove what unfinished bulk writes created, unless their process is still writing."""
        with self._driver.session(database=self.database) as s:
            batches = [r["id"] for r in s.run("MATCH (b:ImportBatch) RETURN b.id AS id")]
        for batch_id in batches:
            if not self._batch_alive(batch_id):
                self._undo(batch_id)

    def _batch_alive(self, batch_id: str) -> bool:
        """Whether the process of a bulk write still holds the lock it took on its :ImportBatch node.

        The server releases a transaction's locks when its connection drops, so a
        killed process's batch is free at once; a live one makes this wait time out.
        """
        with self._driver.session(database=self.database) as s:
            tx = s.begin_transaction(timeout=ALIVE_PROBE_SECONDS)
            try:
                tx.run("MATCH (b:ImportBatch {id: $id}) SET b.probed = datetime()", id=batch_id).consume()
            except (nex.ClientError, nex.TransientError) as exc:
                if "Timed" in (exc.code or "") or "Terminated" in (exc.code or "") or "LockClient" in (exc.code or ""):
                    return True
                raise
            finally:
                if tx.closed() is False:
                    tx.rollback()
        return False

    def _undo(self, batch_id: str) -> int:
        """Delete the rows an unfinished bulk write created, chunk by chunk, then its bookkeeping;
        the number of rows deleted. Each chunk goes in one transaction with its note, so an undo
        that is itself cut short is finished by the next one."""
        removed = 0
        with self._driver.session(database=self.database) as s:
            notes = s.run(
                "MATCH (c:ImportChunk {batch: $id}) RETURN elementId(c) AS note, c.label AS label, c.type AS type",
                id=batch_id,
            ).data()
            # Relationships first: a node's DETACH DELETE would otherwise count them for nothing.
            for note in sorted(notes, key=lambda n: n["label"] is not None):
                if note["type"] in self.schema.relationships:
                    query = "MATCH ()-[r:" + note["type"] + "]->() WHERE r.id IN c.ids DELETE r"
                elif note["label"] in self.schema.labels:
                    query = "MATCH (n:" + note["label"] + ") WHERE n.id IN c.ids DETACH DELETE n"
                else:
                    continue
                summary = s.execute_write(
                    lambda tx, q=query, n=note["note"]: tx.run(
                        "MATCH (c:ImportChunk) WHERE elementId(c) = $note CALL (c) { " + q + " } DELETE c", note=n
                    ).consume()
                )
                removed += summary.counters.nodes_deleted - 1 + summary.counters.relationships_deleted
            s.execute_write(
                lambda tx: tx.run(
                    "MATCH (c:ImportChunk {batch: $id}) DELETE c WITH count(*) AS done "
                    "MATCH (b:ImportBatch {id: $id}) DELETE b",
                    id=batch_id,
                ).consume()
            )
        return removed

    # -- reads ----------------------------------------------------------------------
    def _worker_spec(self) -> dict[str, Any]:
        return {
            "kind": "neo4j",
            "uri": self.uri,
            "user": self._user,
            "password": self._password,
            "database": self.database,
        }

    def _rows(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[list[Any]]:
        try:
            with self._driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as s:
                return s.execute_read(lambda tx: [[_value(v) for v in r.values()] for r in tx.run(cypher, params)])
        except nex.ClientError as exc:
            raise _translate(exc, None) from exc
        except nex.ServiceUnavailable as exc:
            raise StoreUnavailable(f"lost the connection to Neo4j at {redact(self.uri)}") from exc

    def labels_of(self, ids: Iterable[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(ids))
        out: dict[str, str] = {}
        if not wanted:
            return out
        # A bulk lookup into an empty database (a first import, a build) finds nothing: the count store
        # says so in one round trip, where sending the ids to every label takes seconds. Small lookups
        # (neighbourhoods, on every page) skip the extra round trip.
        if len(wanted) > EMPTY_CHECK_FROM and self._rows("MATCH (n) RETURN count(n)")[0][0] == 0:
            return out
        # One indexed lookup per label, rather than a label-less scan.
        for label in self.schema.labels:
            for (node_id,) in self._rows("MATCH (n:" + label + ") WHERE n.id IN $ids RETURN n.id", {"ids": wanted}):
                out[node_id] = label
        return out

    def _incident(self, ids: list[str]) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
        rows = []
        for label in set(self.labels_of(ids).values()):
            rows += self._rows(
                f"MATCH (x:{label})-[r]-(y) WHERE x.id IN $ids{self._shown('y')} RETURN DISTINCT startNode(r), r, endNode(r)",
                {"ids": ids},
            )
        seen: set[str] = set()
        out = []
        for a, r, b in rows:
            if r["id"] not in seen:
                seen.add(r["id"])
                out.append((a, r, b))
        return out

    def _among(self, ids: list[str]) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
        # The shared label's id constraint is an index: both ends are looked up, not scanned.
        rows = self._rows(
            "MATCH (a:" + ENTITY + ")-[r]->(b:" + ENTITY + ") WHERE a.id IN $ids AND b.id IN $ids RETURN a, r, b",
            {"ids": ids},
        )
        return [(a, r, b) for a, r, b in rows]

    def _all_edges(self, types: list[str]) -> list[tuple[str, str, str, dict[str, Any]]]:
        out = []
        for rel_type in types:
            ends = self.schema.shown_ends(rel_type)
            if ends is None:
                pattern = "(a)-[r:" + rel_type + "]->(b)"
            elif ends[0] and ends[1]:
                # Ends narrowed to the labels that are not detail records: a holder's patents are left out.
                pattern = "(a:" + "|".join(ends[0]) + ")-[r:" + rel_type + "]->(b:" + "|".join(ends[1]) + ")"
            else:
                continue
            for a, b, props in self._rows("MATCH " + pattern + " RETURN a.id, b.id, properties(r)"):
                out.append((a, b, rel_type, clean(props)))
        return out

    def _shown(self, var: str) -> str:
        """`` AND NOT y:Patent ...``: leaves out detail records (one patent of a holder's 100,000) at ``var``."""
        return "".join(f" AND NOT {var}:{lab}" for lab in self.schema.detail_labels)

    def _all_nodes(self) -> list[tuple[str, str, str]]:
        out = []
        for label in self.schema.shown_labels:
            out += [(i, label, n) for i, n in self._rows("MATCH (n:" + label + ") RETURN n.id, n.name")]
        return out

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        nodes = {lab: self._rows("MATCH (n:" + lab + ") RETURN count(n)")[0][0] for lab in self.schema.labels}
        rels = {t: self._rows("MATCH ()-[r:" + t + "]->() RETURN count(r)")[0][0] for t in self.schema.relationships}
        return nodes, rels

    # -- writes -----------------------------------------------------------------------
    def write(self, batch: Batch, replace: bool = False) -> WriteResult:
        """Upsert a batch: atomically up to :data:`ATOMIC_ROWS` rows, in committed chunks beyond.

        A batch larger than the server's transaction memory cannot be one
        transaction; it is validated in full beforehand, then written chunk by
        chunk, :data:`WRITERS` chunks at a time (see :meth:`_write_chunked`).
        """
        self._ensure_schema()
        result = WriteResult()
        atomic = batch.counts()["nodes"] + batch.counts()["edges"] <= ATOMIC_ROWS
        if not atomic:
            return self._write_chunked(batch, replace, result)
        try:
            with self._driver.session(database=self.database) as s:
                tx = s.begin_transaction()
                try:
                    if replace:
                        tx.run("MATCH (n) DETACH DELETE n").consume()
                    nodes, edges = batch.node_tables(self.schema), batch.edge_tables(self.schema)
                    empty = _empty(tx, [*nodes], {key[0] for key in edges})
                    for query, rows, counter, _ in _statements(nodes, edges, result, empty):
                        for chunk in _chunks(rows):
                            counter(tx.run(query, rows=chunk).consume(), len(chunk))
                    tx.commit()
                finally:
                    if tx.closed() is False:
                        tx.rollback()
        except (nex.Neo4jError, nex.ServiceUnavailable) as exc:
            raise StoreError(f"write to Neo4j failed and was rolled back: {self._reason(exc)}") from exc
        return result

    def _reason(self, exc: nex.Neo4jError | nex.ServiceUnavailable) -> str:
        if not isinstance(exc, nex.Neo4jError):
            return f"lost the connection to {redact(self.uri)}"
        clash = _ENTITY_CLASH.search(exc.message or "")
        if exc.code == "Neo.ClientError.Schema.ConstraintValidationFailed" and clash:
            return (
                f"node id {clash.group(1)} is already in the graph under another label "
                "(another import wrote it meanwhile), and an id names one entity"
            )
        return " ".join((exc.message or exc.code or "").split())

    def _write_chunked(self, batch: Batch, replace: bool, result: WriteResult) -> WriteResult:
        """A bulk write in committed chunks, several at once, each retried by the driver if it deadlocks.

        Chunks of one statement are independent (distinct ids), so they run in
        parallel sessions and keep the server's cores busy while this process
        packs the next ones. Every node statement finishes before the first
        relationship statement, which matches nodes by id. Relationship
        chunks may lock the same nodes; Neo4j then reports a transient
        deadlock and ``execute_write`` retries that chunk, which is one
        transaction, so nothing is written twice.

        The write is recoverable: an ``:ImportBatch`` node marks it, each chunk
        notes the ids it created in an ``:ImportChunk`` node in its own
        transaction, and one open transaction holds a lock on the batch node
        while the write runs. On success that transaction deletes the notes.
        On failure the rows the batch created are deleted at once; if the
        process dies, the server drops its lock and the next write (of any
        process, :meth:`_recover`) deletes them. Rows that existed before and
        were updated keep their new values (upserts are keyed by id, so the
        same import completes them).
        """
        batch_id = uuid.uuid4().hex
        total = batch.counts()["nodes"] + batch.counts()["edges"]
        submitted: list[_Chunk] = []
        emptied = False
        holder = self._driver.session(database=self.database)
        hold: neo4j.Transaction | None = None

        def run(query: str, chunk: list[tuple[Any, ...]]) -> neo4j.ResultSummary:
            with self._driver.session(database=self.database) as s:
                return s.execute_write(lambda tx: tx.run(query, rows=chunk, batch=batch_id).consume())

        try:
            with self._driver.session(database=self.database) as s:
                if replace:
                    s.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
                    emptied = True
                nodes, edges = batch.node_tables(self.schema), batch.edge_tables(self.schema)
                empty = s.execute_read(lambda tx: _empty(tx, [*nodes], {key[0] for key in edges}))
                s.execute_write(
                    lambda tx: tx.run(
                        "CREATE (:ImportBatch {id: $id, started: datetime(), rows: $rows})", id=batch_id, rows=total
                    ).consume()
                )
            hold = holder.begin_transaction()
            hold.run("MATCH (b:ImportBatch {id: $id}) SET b.writing = true", id=batch_id).consume()
            with ThreadPoolExecutor(WRITERS) as pool:
                phase: list[_Chunk] = []
                nodes_pending = True
                for query, rows, counter, is_edge in _statements(nodes, edges, result, empty, batch_id):
                    if is_edge and nodes_pending:
                        _drain(phase)  # every node is in before relationships match them
                        nodes_pending = False
                    chunks = [_Chunk(pool.submit(run, query, chunk), len(chunk), counter) for chunk in _chunks(rows)]
                    phase += chunks
                    submitted += chunks
                _drain(phase)
            # Complete: forget the notes, in the transaction that holds the batch's lock.
            hold.run(
                "MATCH (c:ImportChunk {batch: $id}) DELETE c WITH count(*) AS notes "
                "MATCH (b:ImportBatch {id: $id}) DELETE b",
                id=batch_id,
            ).consume()
            hold.commit()
        except (nex.Neo4jError, nex.ServiceUnavailable) as exc:
            _release(holder, hold)  # the undo deletes the batch node, whose lock this holds
            raise StoreError(self._chunked_failure(exc, batch_id, total, submitted, result, emptied)) from exc
        finally:
            _release(holder, hold)
        return result

    def _chunked_failure(
        self,
        exc: nex.Neo4jError | nex.ServiceUnavailable,
        batch_id: str,
        total: int,
        submitted: list[_Chunk],
        result: WriteResult,
        emptied: bool,
    ) -> str:
        """Count what the failed bulk write committed, remove what it created, and say so in one line."""
        # Every chunk is settled by now: those not started were cancelled, those running ran to their
        # end. Count each one that committed, whether or not it was counted in order before the failure.
        done = [c for c in submitted if not c.future.cancelled() and c.future.exception() is None]
        for c in done:
            if not c.counted:
                c.counter(c.future.result(), c.rows)
                c.counted = True
        committed = sum(c.rows for c in done)
        updated = result.nodes_updated + result.edges_updated
        head = (
            f"write to Neo4j failed after {committed:,} of {total:,} rows had been committed "
            f"in {len(done)} chunks of a bulk write: {self._reason(exc)}"
        )
        try:
            removed = self._undo(batch_id)
        except (nex.Neo4jError, nex.ServiceUnavailable):
            return head + "; the next write removes the rows it created"
        if updated:
            return (
                f"{head}; the {removed:,} rows it created were removed, and {updated:,} rows that existed keep "
                "the values written: run the same import again to complete it (upserts are keyed by id)"
            )
        if emptied:
            return f"{head}; the {removed:,} rows it created were removed, but the build had emptied the graph first"
        return f"{head}; the {removed:,} rows it created were removed, so the graph is as it was"

    def clear(self) -> None:
        self._ensure_schema()
        with self._driver.session(database=self.database) as s:
            s.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


class _Chunk:
    """One chunk of a bulk write in flight: its future, its size, how to count what it did."""

    __slots__ = ("counted", "counter", "future", "rows")

    def __init__(self, future: Future[neo4j.ResultSummary], rows: int, counter: Callable[..., None]):
        self.future, self.rows, self.counter, self.counted = future, rows, counter, False


def _drain(phase: list[_Chunk]) -> None:
    """Wait for the submitted chunks in order, count what they did, and empty the list.

    On the first failure the chunks not yet started are cancelled; the failure propagates.
    """
    try:
        for chunk in phase:
            chunk.counter(chunk.future.result(), chunk.rows)
            chunk.counted = True
    finally:
        for chunk in phase:
            chunk.future.cancel()
        phase.clear()


def _release(session: neo4j.Session, tx: neo4j.Transaction | None) -> None:
    """End the transaction holding a bulk write's lock (rolled back unless committed) and its session."""
    try:
        if tx is not None and tx.closed() is False:
            tx.rollback()
    except (nex.Neo4jError, nex.DriverError, OSError):
        pass  # the server rolls back a transaction whose connection is gone
    finally:
        session.close()


def _empty(tx: neo4j.ManagedTransaction | neo4j.Transaction, labels: list[str], types: set[str]) -> set[str]:
    """Those of the labels and types that hold nothing yet (Neo4j's count store answers: no scan)."""
    out = set()
    for label in labels:
        if tx.run("MATCH (n:" + label + ") RETURN count(n) AS n").single(strict=True)["n"] == 0:
            out.add(label)
    for rel_type in types:
        if tx.run("MATCH ()-[r:" + rel_type + "]->() RETURN count(r) AS n").single(strict=True)["n"] == 0:
            out.add(rel_type)
    return out


def _statements(
    nodes: dict[str, pa.Table],
    edges: dict[tuple[str, str, str], pa.Table],
    result: WriteResult,
    empty: set[str],
    batch: str | None = None,
) -> Iterator[tuple[str, list[tuple[Any, ...]], Callable[[neo4j.ResultSummary, int], None], bool]]:
    """The write statements of a batch, nodes first, each with its rows, how to count what it did,
    and whether it writes relationships.

    Into an empty label or type (a first import, a build) plain ``CREATE``
    is used: validation already ruled out duplicate ids, and it skips the
    lookups and the eager delete that an upsert needs. Every node gets the
    shared label :data:`ENTITY` too. With ``batch`` (a bulk write in committed
    chunks, see :meth:`Neo4jStore._write_chunked`) each statement also notes,
    in an ``:ImportChunk`` node of the same transaction, the ids it created;
    the statement then takes a ``$batch`` parameter.
    """
    noted = 1 if batch else 0  # the note is a node the counters count

    def nodes_done(summary: neo4j.ResultSummary, n: int) -> None:
        created = summary.counters.nodes_created - noted
        result.nodes_created += created
        result.nodes_updated += n - created

    def edges_done(summary: neo4j.ResultSummary, n: int) -> None:
        # An id that existed was deleted and created anew: an update.
        deleted = summary.counters.relationships_deleted
        result.edges_updated += deleted
        result.edges_created += summary.counters.relationships_created - deleted

    def note(what: str, name: str, created: str) -> str:
        if not batch:
            return ""
        # The name comes from the schema; `created` is a Cypher expression, null for rows that existed.
        return (
            " WITH collect(" + created + ") AS ids CREATE (:ImportChunk {batch: $batch, " + what + ": '" + name + "', "
            "ids: ids})"
        )

    # Rows go as lists, not maps: the server decodes no key strings, which takes a sixth off a bulk write.
    # Null values are sent as they are: CREATE {k: null} stores nothing and SET n += {k: null} removes k,
    # so with every schema column in each row an upsert replaces the node's properties.
    for label, table in nodes.items():
        props = _props(table)
        key = "row[" + str(table.column_names.index("id")) + "]"
        if label in empty:
            verb = "CREATE (n:" + label + ":" + ENTITY + " " + props + ")" + note("label", label, "n.id")
        elif batch:
            verb = (
                "OPTIONAL MATCH (old:" + label + " {id: " + key + "}) WITH row, old IS NULL AS fresh "
                "MERGE (n:" + label + " {id: " + key + "}) SET n:" + ENTITY + ", n += " + props
            ) + note("label", label, "CASE WHEN fresh THEN n.id END")
        else:
            verb = "MERGE (n:" + label + " {id: " + key + "}) SET n:" + ENTITY + ", n += " + props
        yield "UNWIND $rows AS row " + verb, _rows(table), nodes_done, False
    for (rel_type, a, b), table in edges.items():
        # In start-node order, consecutive rows touch the same node and relationship records: fewer page
        # misses and, between parallel chunks, fewer lock waits (about a tenth off a bulk write).
        table = table.sort_by("from")
        names = table.column_names
        # An id may have moved to other ends: delete it, then create it anew.
        old = "OPTIONAL MATCH ()-[old:" + rel_type + " {id: row[" + str(names.index("id")) + "]}]->() "
        if rel_type in empty:
            replace_old, created = "", "r.id"
        elif batch:
            replace_old = old + "WITH row, old, old IS NULL AS fresh DELETE old WITH DISTINCT row, fresh "
            created = "CASE WHEN fresh THEN r.id END"
        else:
            replace_old, created = old + "DELETE old WITH DISTINCT row ", ""
        # Properties are named one by one (names checked by the schema): `SET r = map` would make the
        # planner put an Eager, which buffers every row, between the node lookups and the creates.
        yield (
            "UNWIND $rows AS row "
            + replace_old
            + "MATCH (a:"
            + a
            + " {id: row["
            + str(names.index("from"))
            + "]}) MATCH (b:"
            + b
            + " {id: row["
            + str(names.index("to"))
            + "]}) CREATE (a)-[r:"
            + rel_type
            + " "
            + _props(table, skip=("from", "to"))
            + "]->(b)"
            + note("type", rel_type, created),
            _rows(table),
            edges_done,
            True,
        )


def _props(table: pa.Table, skip: tuple[str, ...] = ()) -> str:
    """A Cypher map literal of the table's columns (names checked by the schema) read from a list row.

    Dates travel as ISO text (see :func:`_rows`) and become Neo4j dates on the server.
    """
    return (
        "{"
        + ", ".join(
            f"{f.name}: date(row[{i}])" if pa.types.is_date(f.type) else f"{f.name}: row[{i}]"
            for i, f in enumerate(table.schema)
            if f.name not in skip
        )
        + "}"
    )


class _Rows(list):  # type: ignore[type-arg]
    """A statement's rows, with a short repr: the driver formats the parameters of every RUN for its
    debug log even when that log is off, which cost a tenth of a bulk write's client time."""

    def __repr__(self) -> str:
        return f"<{len(self):,} rows>"


def _rows(table: pa.Table) -> list[tuple[Any, ...]]:
    """The table's rows as tuples, in column order.

    Date columns become ISO text in one Arrow cast: the driver turns each Python date into a
    Neo4j date in Python, one at a time, which took a fifth of the client's time in a bulk write.
    """
    columns = [pc.cast(c, pa.string()) if pa.types.is_date(c.type) else c for c in table.columns]
    return list(zip(*(column.to_pylist() for column in columns)))


def _chunks(rows: list[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(rows), BATCH):
        yield _Rows(rows[i : i + BATCH])


def _translate(exc: nex.ClientError, timeout: float | None) -> Exception:
    code = exc.code or ""
    if "TransactionTimedOut" in code or "Terminated" in code:
        return QueryTimeout(f"query stopped after its {timeout:g} s time limit; narrow it or raise the time limit")
    if "Forbidden" in code or "AccessMode" in code or "WriteOnReadOnlyAccess" in code:
        return WriteRefused("refused: the console is read-only and this query would change data")
    return QueryError(f"{exc.message} ({code})")


def _value(v: Any) -> Any:
    """Turn driver graph objects into the same plain dicts the embedded store returns."""
    if isinstance(v, neo4j.graph.Node):
        return {"_label": next(iter(v.labels - {ENTITY}), ""), **clean(dict(v))}
    if isinstance(v, neo4j.graph.Relationship):
        return {"_type": v.type, **clean(dict(v)), "_start": v.start_node.get("id"), "_end": v.end_node.get("id")}
    if isinstance(v, neo4j.graph.Path):
        return {
            "_path": True,
            "nodes": [_value(n) for n in v.nodes],
            "relationships": [_value(r) for r in v.relationships],
        }
    if isinstance(v, list):
        return [_value(x) for x in v]
    if isinstance(v, dict):
        return {k: _value(x) for k, x in v.items()}
    return clean(v)
