"""Untrusted queries run in worker processes: a crash or a runaway kills the worker, never the app.

A console query, a linked query (``/console?q=…&run=1``) and ``python -m graph
query`` go through :class:`QueryRunner`. It hands the query to a worker
process (``python -m graph.store.worker``) that opens the store read-only,
has the store plan the query, checks the plan (:mod:`graph.store.guard`), runs
it with the engine's own time limit, and returns at most ``limit`` rows and
``result_bytes`` bytes, each cell cut at ``cell_chars``. Meanwhile the
parent watches the worker's memory and the wall clock: past the memory cap,
past the time limit (plus a short grace for the engine to stop by itself),
or if the worker dies (a segmentation fault in the engine), the worker is
killed and the caller gets one line that says what happened.

Each query has a worker of its own, taken from a small pool of idle ones,
so one user's slow query never makes another wait; at most ``workers``
queries run at once. Workers find a rebuilt embedded store by its inode and
reopen it. The Neo4j password reaches a worker through its pipe, never its
command line.

Results come back pickled; the parent unpickles only plain values (numbers,
text, bytes, dates and times, lists and dicts), so even a worker whose
engine misbehaved cannot make the parent run code.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import io
import math
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from graph import errors
from graph.errors import GraphError, QueryCrashed, QueryTimeout, QueryTooLarge, StoreUnavailable, WriteRefused
from graph.settings import ROOT, QueryLimits
from graph.store.guard import check_ladybug_plan, check_neo4j_plan, first_fence

GRACE = 0.5  # seconds past the time limit the engine gets to stop by itself before the kill
POLL = 0.05  # seconds between checks of a running worker's memory


@dataclass
class Reply:
    """What a worker sends back for one query."""

    columns: list[str]
    rows: list[list[Any]]
    truncated: str = ""  # "", "rows" or "bytes": what cut the result
    cut_cells: int = 0  # cells cut at the cell cap
    elapsed: float = 0.0


# -- the pipe -------------------------------------------------------------------------------------


def _send(stream: BinaryIO, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("!Q", len(data)) + data)
    stream.flush()


def _read_exactly(stream: BinaryIO, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _receive(stream: BinaryIO, safe: bool) -> Any:
    header = _read_exactly(stream, 8)
    if header is None:
        raise EOFError
    data = _read_exactly(stream, struct.unpack("!Q", header)[0])
    if data is None:
        raise EOFError
    return _PlainUnpickler(io.BytesIO(data)).load() if safe else pickle.loads(data)


class _PlainUnpickler(pickle.Unpickler):
    """Unpickles plain values only: what a query returns, never code."""

    ALLOWED = frozenset(
        [("builtins", n) for n in ("dict", "list", "tuple", "set", "frozenset", "str", "bytes", "int", "float", "bool")]
        + [("datetime", n) for n in ("date", "datetime", "time", "timedelta", "timezone")]
        + [("decimal", "Decimal")]
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"a query worker sent {module}.{name}, which is not a plain value")
        return super().find_class(module, name)


# -- the worker's side ------------------------------------------------------------------------------

_PLAIN = (str, bytes, int, float, bool, dt.date, dt.datetime, dt.time, dt.timedelta, decimal.Decimal, type(None))


class _Budget:
    """The caps of one result, and what they cut."""

    def __init__(self, limits: QueryLimits):
        self.cell = limits.cell_chars
        self.bytes_left = limits.result_bytes
        self.cut = 0

    def take(self, rows: Iterator[list[Any]], limit: int) -> tuple[list[list[Any]], str]:
        """Rows, each value bounded, until ``limit`` rows or the byte budget; and what cut them ("" if nothing)."""
        kept: list[list[Any]] = []
        for row in rows:
            if len(kept) >= limit:
                return kept, "rows"
            if self.bytes_left <= 0:
                return kept, "bytes"
            kept.append([self.bound(v) for v in row])
        return kept, ""

    def bound(self, value: Any) -> Any:
        """The value as plain data, long text and lists cut at the cell cap, its size taken from the budget."""
        if isinstance(value, str | bytes):
            if len(value) > self.cell:
                self.cut += 1
                value = value[: self.cell] + ("…" if isinstance(value, str) else b"")
            self.bytes_left -= len(value) + 8
            return value
        if isinstance(value, dict):
            return {str(k): self.bound(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            if len(value) > self.cell:
                self.cut += 1
                value = value[: self.cell]
            self.bytes_left -= 8
            return [self.bound(v) for v in value]
        self.bytes_left -= 16
        if isinstance(value, dt.datetime) and value.tzinfo is not None and not isinstance(value.tzinfo, dt.timezone):
            return value.astimezone(dt.UTC)  # named zones (pytz, zoneinfo) are not plain values
        if isinstance(value, uuid.UUID):
            return str(value)
        return value if isinstance(value, _PLAIN) else str(value)


class _EmbeddedBackend:
    """A read-only LadybugDB connection that follows the file when a build swaps it."""

    def __init__(self, path: str, limits: QueryLimits):
        self.path = Path(path)
        self.limits = limits
        self.identity: tuple[int, int] | None = None
        self.db: Any = None
        self.conn: Any = None

    def _connect(self) -> Any:
        import ladybug

        try:
            st = os.stat(self.path)
        except OSError as exc:
            raise StoreUnavailable(f"no graph at {self.path}; run `python -m graph build` first") from exc
        if self.identity != (st.st_dev, st.st_ino):
            if self.conn is not None:
                self.conn.close()
                self.db.close()
            try:
                pool = min(1 << 30, self.limits.memory_bytes // 2)
                self.db = ladybug.Database(str(self.path), read_only=True, buffer_pool_size=pool)
                self.conn = ladybug.Connection(self.db)
            except RuntimeError as exc:
                raise StoreUnavailable(f"cannot open the graph at {self.path}: {exc}") from exc
            self.identity = (st.st_dev, st.st_ino)
        return self.conn

    def run(self, cypher: str, params: dict[str, Any], timeout: float, limit: int) -> Reply:
        from graph.store.embedded import EmbeddedStore

        conn = self._connect()
        started = time.perf_counter()
        conn.set_query_timeout(int(timeout * 1000))
        budget = _Budget(self.limits)
        try:
            plan = conn.execute("EXPLAIN " + cypher, params)
            if isinstance(plan, list):
                raise _one_statement()
            check_ladybug_plan(str(plan.get_next()[0]))
            result = conn.execute(cypher, params)
            columns = result.get_column_names()
            rows = (_clean_row(result.get_next()) for _ in iter(result.has_next, False))
            kept, truncated = budget.take(rows, limit)
            result.close()
        except RuntimeError as exc:
            raise EmbeddedStore._translate(exc, timeout) from exc
        return Reply(columns, kept, truncated, budget.cut, time.perf_counter() - started)


def _clean_row(row: list[Any]) -> list[Any]:
    from graph.store.embedded import _clean_row as clean

    return clean(row)


def _one_statement() -> WriteRefused:
    return WriteRefused("refused: the console runs one statement at a time; remove the ';' and run each on its own")


class _Neo4jBackend:
    """A Neo4j driver; each query is planned, checked, then run in a read transaction."""

    def __init__(self, uri: str, user: str, password: str, database: str, limits: QueryLimits):
        from graph.store.neo4j_store import Neo4jStore

        self.store = Neo4jStore(uri, user, password, database)
        self.limits = limits
        self._functions: frozenset[str] | None = None

    def functions(self, session: Any) -> frozenset[str]:
        if self._functions is None:
            rows = session.run("SHOW FUNCTIONS YIELD name, isBuiltIn WHERE isBuiltIn RETURN name").values()
            self._functions = frozenset(r[0].lower() for r in rows)
        return self._functions

    def run(self, cypher: str, params: dict[str, Any], timeout: float, limit: int) -> Reply:
        import neo4j
        from neo4j import exceptions as nex

        from graph.store.neo4j_store import _translate, _value, redact

        store = self.store
        started = time.perf_counter()
        budget = _Budget(self.limits)
        try:
            with store._driver.session(database=store.database, default_access_mode=neo4j.READ_ACCESS) as s:
                summary = s.run("EXPLAIN " + cypher, params).consume()
                check_neo4j_plan(summary.plan or {}, summary.query_type, self.functions(s))
                tx = s.begin_transaction(timeout=timeout)
                try:
                    result = tx.run(cypher, params)
                    columns = list(result.keys())
                    kept, truncated = budget.take(([_value(v) for v in r.values()] for r in result), limit)
                finally:
                    tx.close()
        except nex.ClientError as exc:
            raise _translate(exc, timeout) from exc
        except nex.ServiceUnavailable as exc:
            raise StoreUnavailable(f"lost the connection to Neo4j at {redact(store.uri)}") from exc
        return Reply(columns, kept, truncated, budget.cut, time.perf_counter() - started)


def serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    """The worker's loop: one store, then queries until the pipe closes."""
    spec = _receive(stdin, safe=False)
    limits = QueryLimits(**spec["limits"])
    backend: _EmbeddedBackend | _Neo4jBackend
    try:
        if spec["kind"] == "embedded":
            backend = _EmbeddedBackend(spec["path"], limits)
        else:
            backend = _Neo4jBackend(spec["uri"], spec["user"], spec["password"], spec["database"], limits)
    except GraphError as exc:
        _send(stdout, (type(exc).__name__, str(exc)))
        return
    _send(stdout, ("ready", ""))
    while True:
        try:
            request = _receive(stdin, safe=False)
        except EOFError:
            return
        try:
            _send(stdout, ("reply", backend.run(**request).__dict__))
        except GraphError as exc:
            _send(stdout, (type(exc).__name__, str(exc)))


# -- the parent's side ----------------------------------------------------------------------------------


class _Worker:
    """One worker process and its pipes."""

    def __init__(self, spec: Mapping[str, Any]):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "graph.store.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
            close_fds=True,
            start_new_session=True,  # a Ctrl-C in the terminal reaches the parent, which kills the worker
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        _send(self.stdin, dict(spec))

    def rss(self) -> int:
        """Resident memory in bytes (0 where /proc is not available)."""
        try:
            with open(f"/proc/{self.proc.pid}/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            return 0

    def wait(self, deadline: float | None, memory_cap: int) -> Any:
        """The worker's next message; raises what stopped it when it dies, overruns or outgrows the cap."""
        fd = self.stdout.fileno()
        while True:
            ready, _, _ = select.select([fd], [], [], POLL)
            if ready:
                try:
                    return _receive(self.stdout, safe=True)
                except (EOFError, pickle.UnpicklingError) as exc:
                    self.kill()
                    raise self._crashed(exc) from exc
            if self.proc.poll() is not None:
                raise self._crashed(None)
            if memory_cap and self.rss() > memory_cap:
                self.kill()
                raise QueryTooLarge(
                    f"query stopped: it needed more than {memory_cap >> 20:,} MB of memory; "
                    "narrow it (a LIMIT, fewer hops, a smaller range) and run it again"
                )
            if deadline is not None and time.monotonic() > deadline:
                self.kill()
                raise _Overrun

    def _crashed(self, exc: BaseException | None) -> QueryCrashed:
        code = self.proc.wait()
        how = f"signal {-code}" if code < 0 else f"exit code {code}"
        if isinstance(exc, pickle.UnpicklingError):
            how = str(exc)
        return QueryCrashed(
            f"the query crashed the process that ran it ({how}); nothing was changed and the app is unaffected; "
            "this query cannot run here"
        )

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        self.proc.wait()
        for stream in (self.stdin, self.stdout):
            with contextlib.suppress(OSError):
                stream.close()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None


class _Overrun(Exception):
    """The wall clock passed the query's time limit."""


class QueryRunner:
    """Runs untrusted queries on one store in worker processes (see the module docstring)."""

    def __init__(self, spec: Mapping[str, Any], limits: QueryLimits):
        self.spec = {**spec, "limits": limits.as_dict()}
        self.limits = limits
        self._idle: list[_Worker] = []
        self._running: set[_Worker] = set()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(limits.workers)

    def run(
        self, cypher: str, params: Mapping[str, Any] | None, timeout: float | None, limit: int | None
    ) -> tuple[Reply, float, int]:
        """Run a query in a worker; the reply, the time limit and the row cap applied."""
        first_fence(cypher)
        timeout = self.limits.timeout if timeout is None else timeout
        limit = self.limits.row_cap if limit is None else limit
        if not (isinstance(timeout, int | float) and math.isfinite(timeout) and timeout > 0):
            raise GraphError(f"the time limit must be a positive number of seconds, not {timeout!r}")
        if not (isinstance(limit, int) and limit > 0):
            raise GraphError(f"the row cap must be a positive whole number, not {limit!r}")
        if not self._slots.acquire(timeout=timeout):
            raise QueryTimeout(f"the console is busy: {self.limits.workers} queries are running; try again in a moment")
        try:
            answer = self._ask(
                {"cypher": cypher, "params": dict(params or {}), "timeout": timeout, "limit": limit}, timeout
            )
        finally:
            self._slots.release()
        kind, body = answer
        if kind == "reply":
            return Reply(**body), timeout, limit
        raise _error(kind, body)

    def _ask(self, request: dict[str, Any], timeout: float) -> Any:
        """Send a request to a worker and wait for its answer, killing the worker on any overrun or interrupt."""
        worker = self._take(timeout)
        try:
            _send(worker.stdin, request)
        except OSError:  # it died while idle: one fresh worker gets the query
            worker.kill()
            worker = self._take(timeout, fresh=True)
            _send(worker.stdin, request)
        with self._lock:
            self._running.add(worker)
        try:
            answer = worker.wait(time.monotonic() + timeout + GRACE, self.limits.memory_bytes)
        except _Overrun:
            raise QueryTimeout(_stopped(timeout)) from None
        except BaseException:  # a Ctrl-C or a failed wait: the query must not run on unattended
            worker.kill()
            raise
        finally:
            with self._lock:
                self._running.discard(worker)
        self._give_back(worker)
        return answer

    def _take(self, timeout: float, fresh: bool = False) -> _Worker:
        with self._lock:
            while self._idle and not fresh:
                worker = self._idle.pop()
                if worker.alive:
                    return worker
                worker.kill()
        worker = _Worker(self.spec)
        try:
            state, message = worker.wait(time.monotonic() + max(timeout, 30.0), self.limits.memory_bytes)
        except _Overrun:
            raise StoreUnavailable("the query process did not start within its time limit") from None
        if state != "ready":
            worker.kill()
            raise _error(state, message)
        return worker

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if len(self._idle) < 2 and worker.alive:
                self._idle.append(worker)
                return
        worker.kill()

    def running(self) -> list[int]:
        """The process ids of the workers running a query now."""
        with self._lock:
            return [w.proc.pid for w in self._running]

    def close(self) -> None:
        """Stop every idle worker (running queries end with their own)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


def _stopped(timeout: float) -> str:
    return f"query stopped after its {timeout:g} s time limit; narrow it or raise the time limit"


def _error(name: str, message: str) -> GraphError:
    """The error a worker reported, as the same class; only the project's own errors cross the pipe."""
    cls = getattr(errors, name, None)
    if (
        isinstance(cls, type)
        and issubclass(cls, GraphError)
        and cls not in (errors.ValidationError, errors.AmbiguousName)
    ):
        return cls(message)
    return errors.QueryError(message)


if __name__ == "__main__":
    # The pipe to the parent gets a descriptor of its own, and anything the engine or a library prints
    # goes to stderr instead, so no stray line can corrupt a reply.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, replies)
