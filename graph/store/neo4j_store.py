"""The Neo4j store: a Neo4j 5.26 server over Bolt, through the official driver.

Writes run in one explicit transaction, so a failed import or build leaves the
graph as it was; a bulk write too large for one transaction is written in
committed chunks by parallel sessions, and says so if it fails. Every node
also carries the label :data:`graph.schema.ENTITY`, whose constraint keeps an
id unique across labels even when two imports run at once. Reads run in
read transactions, after an ``EXPLAIN`` that refuses any query whose plan
would write, with the driver's per-transaction timeout and a row cap.
"""

from __future__ import annotations

import re
import time
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
from graph.store.base import GraphStore, QueryResult, WriteResult, clean, refuse_unsafe

BATCH = 10_000
EMPTY_CHECK_FROM = 1_000  # ids in a labels_of lookup from which an empty database is checked first
WRITERS = 3  # concurrent chunk writers for bulk imports (one server, two or more cores)
# Up to this many rows a write is one transaction; the test server's 4 GiB heap holds it.
ATOMIC_ROWS = 250_000


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
        self, uri: str, user: str = "neo4j", password: str = "", database: str = "neo4j", schema: Schema | None = None
    ):
        super().__init__(schema)
        self.uri, self.database = uri, database
        try:
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
        self._schema_ready = False

    def describe(self) -> str:
        return f"{redact(self.uri)} (database {self.database})"

    def close(self) -> None:
        self._driver.close()

    def exists(self) -> bool:
        return True

    def _ensure_schema(self) -> None:
        """Before the first write: constraints and indexes, and the shared label on nodes written
        before it existed."""
        if self._schema_ready:
            return
        try:
            with self._driver.session(database=self.database) as s:
                for ddl in self.schema.neo4j_ddl():
                    s.run(ddl).consume()
                # The count store answers both counts without a scan; only an older database differs.
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
        except (nex.Neo4jError, nex.ServiceUnavailable) as exc:
            raise StoreError(f"cannot prepare Neo4j at {redact(self.uri)} for writing: {self._reason(exc)}") from exc
        self._schema_ready = True

    # -- reads ----------------------------------------------------------------------
    def query(
        self,
        cypher: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = 30.0,
        limit: int | None = 5000,
    ) -> QueryResult:
        refuse_unsafe(cypher)
        params = dict(params or {})
        started = time.perf_counter()
        try:
            with self._driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as s:
                plan = s.run("EXPLAIN " + cypher, params).consume()
                if plan.query_type != "r":
                    raise WriteRefused("refused: the console is read-only and this query would change data")
                tx = s.begin_transaction(timeout=timeout)
                try:
                    result = tx.run(cypher, params)
                    columns = list(result.keys())
                    rows: list[list[Any]] = []
                    truncated = False
                    for record in result:
                        if limit is not None and len(rows) >= limit:
                            truncated = True
                            break
                        rows.append([_value(v) for v in record.values()])
                finally:
                    tx.close()
        except nex.ClientError as exc:
            raise _translate(exc, timeout) from exc
        except nex.ServiceUnavailable as exc:
            raise StoreUnavailable(f"lost the connection to Neo4j at {redact(self.uri)}") from exc
        return QueryResult(columns, rows, truncated, limit, time.perf_counter() - started)

    def _rows(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[list[Any]]:
        return self.query(cypher, params, timeout=None, limit=None).rows

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
                "MATCH (x:" + label + ")-[r]-() WHERE x.id IN $ids RETURN DISTINCT startNode(r), r, endNode(r)",
                {"ids": ids},
            )
        seen: set[str] = set()
        out = []
        for a, r, b in rows:
            if r["id"] not in seen:
                seen.add(r["id"])
                out.append((a, r, b))
        return out

    def _all_edges(self, types: list[str]) -> list[tuple[str, str, str, dict[str, Any]]]:
        out = []
        for rel_type in types:
            for a, b, props in self._rows("MATCH (a)-[r:" + rel_type + "]->(b) RETURN a.id, b.id, properties(r)"):
                out.append((a, b, rel_type, clean(props)))
        return out

    def _all_nodes(self) -> list[tuple[str, str, str]]:
        out = []
        for label in self.schema.labels:
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
        chunk, :data:`WRITERS` chunks at a time. Upserts are keyed by id, so
        after a failure re-running the same import completes it; the error
        says so.
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
        """
        written = 0

        def run(query: str, chunk: list[tuple[Any, ...]]) -> neo4j.ResultSummary:
            with self._driver.session(database=self.database) as s:
                return s.execute_write(lambda tx: tx.run(query, rows=chunk).consume())

        try:
            with self._driver.session(database=self.database) as s:
                if replace:
                    s.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
                nodes, edges = batch.node_tables(self.schema), batch.edge_tables(self.schema)
                empty = s.execute_read(lambda tx: _empty(tx, [*nodes], {key[0] for key in edges}))
            with ThreadPoolExecutor(WRITERS) as pool:
                phase: list[tuple[Future[neo4j.ResultSummary], int, Callable[..., None]]] = []
                nodes_pending = True
                for query, rows, counter, is_edge in _statements(nodes, edges, result, empty):
                    if is_edge and nodes_pending:
                        written += _drain(phase)  # every node is in before relationships match them
                        nodes_pending = False
                    phase += [(pool.submit(run, query, chunk), len(chunk), counter) for chunk in _chunks(rows)]
                written += _drain(phase)
        except (nex.Neo4jError, nex.ServiceUnavailable) as exc:
            # Chunks still running in parallel may also have committed: "at least".
            raise StoreError(
                f"write to Neo4j failed after at least {written:,} rows of a bulk import written in chunks: "
                f"{self._reason(exc)}; run the same import again to complete it (upserts are keyed by id)"
            ) from exc
        return result

    def clear(self) -> None:
        self._ensure_schema()
        with self._driver.session(database=self.database) as s:
            s.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


def _drain(phase: list[tuple[Future[neo4j.ResultSummary], int, Callable[..., None]]]) -> int:
    """Wait for the submitted chunks in order, count what they did, and empty the list; the rows written."""
    done = 0
    try:
        for future, n, counter in phase:
            counter(future.result(), n)
            done += n
    finally:
        for future, _, _ in phase:
            future.cancel()
        phase.clear()
    return done


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
    nodes: dict[str, pa.Table], edges: dict[tuple[str, str, str], pa.Table], result: WriteResult, empty: set[str]
) -> Iterator[tuple[str, list[tuple[Any, ...]], Callable[[neo4j.ResultSummary, int], None], bool]]:
    """The write statements of a batch, nodes first, each with its rows, how to count what it did,
    and whether it writes relationships.

    Into an empty label or type (a first import, a build) plain ``CREATE``
    is used: validation already ruled out duplicate ids, and it skips the
    lookups and the eager delete that an upsert needs. Every node gets the
    shared label :data:`ENTITY` too.
    """

    def nodes_done(summary: neo4j.ResultSummary, n: int) -> None:
        result.nodes_created += summary.counters.nodes_created
        result.nodes_updated += n - summary.counters.nodes_created

    def edges_done(summary: neo4j.ResultSummary, n: int) -> None:
        # An id that existed was deleted and created anew: an update.
        deleted = summary.counters.relationships_deleted
        result.edges_updated += deleted
        result.edges_created += summary.counters.relationships_created - deleted

    # Rows go as lists, not maps: the server decodes no key strings, which takes a sixth off a bulk write.
    # Null values are sent as they are: CREATE {k: null} stores nothing and SET n += {k: null} removes k,
    # so with every schema column in each row an upsert replaces the node's properties.
    for label, table in nodes.items():
        props = _props(table)
        verb = (
            "CREATE (n:" + label + ":" + ENTITY + " " + props + ")"
            if label in empty
            else (
                "MERGE (n:" + label + " {id: row[" + str(table.column_names.index("id")) + "]}) "
                "SET n:" + ENTITY + ", n += " + props
            )
        )
        yield "UNWIND $rows AS row " + verb, _rows(table), nodes_done, False
    for (rel_type, a, b), table in edges.items():
        # In start-node order, consecutive rows touch the same node and relationship records: fewer page
        # misses and, between parallel chunks, fewer lock waits (about a tenth off a bulk write).
        table = table.sort_by("from")
        names = table.column_names
        # An id may have moved to other ends: delete it, then create it anew.
        replace_old = (
            ""
            if rel_type in empty
            else "OPTIONAL MATCH ()-[old:" + rel_type + " {id: row[" + str(names.index("id")) + "]}]->() "
            "DELETE old WITH DISTINCT row "
        )
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
            + "]->(b)",
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
        return QueryTimeout(f"query stopped after its {timeout:g} s time limit; narrow it or raise --timeout")
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
