"""The console's guard, as an attacker tries it, on both stores.

No spelling of a write, a file read or a network call gets through: the
text fence only words the refusal early, the store's own plan decides
(``EXPLAIN``: operators, procedures and functions against allowlists), and
queries run in a worker process, so a crash or a runaway stops the query and
never the caller. Property-based cases mix comments, every Unicode line
terminator, string literals and case.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.errors import GraphError, QueryCrashed, QueryError, QueryTimeout, QueryTooLarge, WriteRefused
from graph.settings import QueryLimits
from graph.store.base import GraphStore
from graph.store.embedded import EmbeddedStore
from graph.store.guard import check_ladybug_plan, check_neo4j_plan, first_fence
from tests.conftest import dump
from tests.test_store_contract import seed

LINE_TERMINATORS = ["\n", "\r", "\r\n", "\u000b", "\u000c", "\u0085", "\u2028", "\u2029"]


class _Hits(http.server.BaseHTTPRequestHandler):
    count = 0

    def do_GET(self) -> None:
        _Hits.count += 1
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"a,b\n1,2\n")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def listener() -> Iterator[str]:
    """A local HTTP server that counts every request: a query that reaches the network shows here."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hits)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/leak"
    server.shutdown()


def payloads(url: str, out: Path) -> list[str]:
    """Queries that would write, read a file, reach the network or read server state if they ran."""
    return [
        "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l",
        f"LOAD CSV FROM '{url}' AS l RETURN l",
        "LOAD FROM '/etc/passwd' (file_format='csv', header=false) RETURN *",
        f"LOAD FROM '{url}' RETURN *",
        "CALL READ_CSV_SERIAL('/etc/passwd') RETURN *",
        "CALL read_parquet('/etc/passwd') RETURN *",
        f"COPY (MATCH (n) RETURN n.id) TO '{out}'",
        "CALL db.stats.retrieve('GRAPH COUNTS')",
        "CALL dbms.listConfig()",
        "SHOW TRANSACTIONS",
        "INSTALL httpfs",
        "CALL threads=1",
        "CREATE (n:Company {id: 'pwn', name: 'Pwned', sources: ['src-test']})",
        "MATCH (n:Company) SET n.name = 'Pwned'",
        "MATCH (n) DETACH DELETE n",
        "MERGE (n:Company {id: 'pwn'})",
        "MATCH (n:Company) REMOVE n.name",
        "CALL db.createLabel('Pwned')",
        "MATCH (n:Company) CALL (n) { SET n.name = 'Pwned' }",
        "FOREACH (x IN [1] | CREATE (:Company {id: 'pwn'}))",
    ]


def spell(text: str, cases: list[bool]) -> str:
    """The text with letters upper- or lower-cased by ``cases`` (cycled)."""
    return "".join(c.upper() if cases[i % len(cases)] else c.lower() for i, c in enumerate(text))


def disguised(payload: str, prefix: str, terminator: str, literal: str, cases: list[bool], glue: str) -> str:
    """The payload behind a benign clause, a comment that ends at ``terminator``, a string literal and
    mixed case, with its words joined by ``glue`` (a space, a block comment or a line comment)."""
    words = spell(payload, cases).split(" ")
    body = glue.join(words) if "'" not in payload else " ".join(words)  # keep the payload's own strings whole
    return f"{prefix} // {literal}{terminator}{body}"


PREFIXES = ["", "MATCH (n) WITH n LIMIT 1", "RETURN 1 AS one UNION ALL", "WITH 'x' AS s"]
LITERALS = ["x", "'// \\r'", '"*/"', "`;`", "/* */", "\\"]
GLUES = [" ", " /* c */ ", " /**/ ", "\t", "\u00a0"]


EXAMPLES = int(os.environ.get("TECHGEO_GUARD_EXAMPLES", "150"))


def guard_examples(n: int):  # type: ignore[no-untyped-def]
    """Hypothesis settings of the guard tests: ``n`` examples, no deadline, one seeded store reused."""
    return settings(
        max_examples=n, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
    )


def seeded(store: GraphStore) -> object:
    """The store seeded once for all examples, and what it held then."""
    if not getattr(store, "_guard_seeded", False):
        seed(store)
        store._guard_seeded = True  # type: ignore[attr-defined]
        store._guard_before = dump(store)  # type: ignore[attr-defined]
    return store._guard_before  # type: ignore[attr-defined]


def assert_contained(store: GraphStore, cypher: str, before: object, out: Path) -> None:
    """Either refused, or it ran and touched nothing: no file, no request, no change, no leaked file line."""
    hits = _Hits.count
    try:
        result = store.query(cypher, timeout=5)
    except (WriteRefused, QueryError, QueryCrashed, QueryTimeout, QueryTooLarge) as exc:
        assert "root:" not in str(exc), cypher
    else:
        assert "root:" not in repr(result.rows), cypher
    assert _Hits.count == hits, f"network reached by {cypher!r}"
    assert not out.exists(), f"file written by {cypher!r}"
    assert dump(store) == before, f"store changed by {cypher!r}"


@guard_examples(EXAMPLES)
@given(
    which=st.integers(min_value=0, max_value=19),
    prefix=st.sampled_from(PREFIXES),
    terminator=st.sampled_from(LINE_TERMINATORS),
    literal=st.sampled_from(LITERALS),
    cases=st.lists(st.booleans(), min_size=1, max_size=7),
    glue=st.sampled_from(GLUES),
)
def test_no_spelling_gets_through(
    store: GraphStore,
    listener: str,
    tmp_path_factory: pytest.TempPathFactory,
    which: int,
    prefix: str,
    terminator: str,
    literal: str,
    cases: list[bool],
    glue: str,
) -> None:
    before = seeded(store)
    out = tmp_path_factory.getbasetemp() / "exfiltrated.csv"
    cypher = disguised(payloads(listener, out)[which], prefix, terminator, literal, cases, glue)
    assert_contained(store, cypher, before, out)


@guard_examples(EXAMPLES // 2)
@given(
    which=st.integers(min_value=0, max_value=19),
    prefix=st.sampled_from(PREFIXES),
    terminator=st.sampled_from(LINE_TERMINATORS),
    cases=st.lists(st.booleans(), min_size=1, max_size=7),
)
def test_the_plan_alone_stops_every_spelling(
    store: GraphStore,
    listener: str,
    tmp_path_factory: pytest.TempPathFactory,
    which: int,
    prefix: str,
    terminator: str,
    cases: list[bool],
) -> None:
    """The same attacks with the text fence switched off: what the store planned decides alone."""
    before = seeded(store)
    out = tmp_path_factory.getbasetemp() / "exfiltrated-plan.csv"
    cypher = disguised(payloads(listener, out)[which], prefix, terminator, "x", cases, " ")
    with mock.patch("graph.store.worker.first_fence", lambda text: None):
        assert_contained(store, cypher, before, out)


def test_every_payload_is_refused_as_written(store: GraphStore, listener: str, tmp_path: Path) -> None:
    seed(store)
    before = dump(store)
    for cypher in payloads(listener, tmp_path / "out.csv"):
        with pytest.raises((WriteRefused, QueryError)):
            store.query(cypher)
        assert_contained(store, cypher, before, tmp_path / "out.csv")


def test_the_carriage_return_bypass_is_refused(store: GraphStore) -> None:
    """The attack that got through the old text check: a // comment that ends at \\r."""
    with pytest.raises(WriteRefused, match="LOAD"):
        store.query("MATCH (n) // x\rLOAD CSV FROM 'file:///etc/passwd' AS l RETURN l")


def test_the_plan_decides_what_the_text_fence_never_saw(store: GraphStore, tmp_path: Path) -> None:
    """Plans the store itself made for queries that the text fence would refuse are refused by the plan check
    alone: the guard does not depend on reading the text right."""
    if store.kind == "neo4j":
        import neo4j

        with store._driver.session(default_access_mode=neo4j.READ_ACCESS) as s:  # type: ignore[attr-defined]
            functions = frozenset(r[0].lower() for r in s.run("SHOW FUNCTIONS YIELD name RETURN name").values())
            for cypher, word in [
                ("LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l", "LoadCSV"),
                ("CALL db.stats.retrieve('GRAPH COUNTS')", "db.stats.retrieve"),
                ("CALL dbms.listConfig()", "system command"),
                ("SHOW TRANSACTIONS", "ShowTransactions"),
                ("CREATE (n:X)", "query type"),
            ]:
                summary = s.run("EXPLAIN " + cypher).consume()
                with pytest.raises(WriteRefused, match=word):
                    check_neo4j_plan(summary.plan, summary.query_type, functions)
            summary = s.run("EXPLAIN MATCH (n) WHERE toLower(n.name) STARTS WITH 'h' RETURN count(n)").consume()
            check_neo4j_plan(summary.plan, summary.query_type, functions)
    else:
        import ladybug

        db = ladybug.Database(str(store.path), read_only=True)  # type: ignore[attr-defined]
        conn = ladybug.Connection(db)
        for cypher, word in [
            (f"COPY (MATCH (n) RETURN n.id) TO '{tmp_path / 'x.csv'}'", "COPY_TO"),
            ("CALL threads=1", "STANDALONE_CALL"),
            ("INSTALL httpfs", "INSTALL_EXTENSION"),
            ("CALL current_setting('threads') RETURN *", "CURRENT_SETTING"),
        ]:
            with pytest.raises(WriteRefused, match=word):
                check_ladybug_plan(conn.execute("EXPLAIN " + cypher).get_next()[0])
        check_ladybug_plan(conn.execute("EXPLAIN MATCH (n:Company) RETURN lower(n.name) LIMIT 3").get_next()[0])
        conn.close()
        db.close()
        assert not (tmp_path / "x.csv").exists()


def test_text_fence_leaves_data_words_alone() -> None:
    first_fence("MATCH (n) WHERE n.name = 'SET' AND n.note CONTAINS 'delete' RETURN n")
    first_fence("MATCH (c:ExportControl) WHERE c.name CONTAINS 'Export' RETURN c")
    with pytest.raises(WriteRefused, match="parameter"):
        first_fence("MATCH (n) WHERE n.name = 'Load Ltd' RETURN n")


def test_two_statements_are_one_line(store: GraphStore) -> None:
    with pytest.raises((WriteRefused, QueryError), match=r"one statement|Invalid input|mismatched|;"):
        store.query("MATCH (n) RETURN count(n); MATCH (m) RETURN count(m)")


def test_runaway_expressions_are_stopped_on_time(store: GraphStore) -> None:
    """Expression-heavy queries the engine's own timer does not stop: the wall clock does."""
    for cypher, timeout in [
        ("UNWIND range(1, 2000000000) AS x RETURN sum(x)", 3.0),
        ("RETURN size(range(1, 400000000))", 1.0),
    ]:
        started = time.perf_counter()
        with contextlib.suppress(QueryTimeout, QueryTooLarge):
            store.query(cypher, timeout=timeout)  # Neo4j's range() is lazy: its size comes at once
        assert time.perf_counter() - started < timeout + 3, cypher
    assert store.query("RETURN 1 AS one").rows == [[1]]


def test_memory_cap_stops_a_query(tmp_path: Path) -> None:
    """On the embedded store the query's memory is this machine's: past the cap, the worker is stopped.
    (A Neo4j query's memory is the server's, which its own transaction limits cap.)"""
    store = EmbeddedStore(tmp_path / "g.lbdb", limits=QueryLimits(memory_mb=300))
    store.create()
    started = time.perf_counter()
    with pytest.raises(QueryTooLarge, match="300 MB"):
        store.query("RETURN size(range(1, 400000000))", timeout=30)
    assert time.perf_counter() - started < 10
    assert store.query("RETURN 1 AS one").rows == [[1]]
    store.close()


def test_long_values_and_big_results_are_cut(store: GraphStore) -> None:
    limits = QueryLimits(cell_chars=1000, result_mb=1)
    big = "RETURN reduce(s = 'x', i IN range(1, 22) | s + s) AS big"  # 4 MiB of text, in both dialects
    if store.kind == "embedded":
        big = "RETURN repeat('x', 4194304) AS big"
    res = store.query(big, limits=limits)
    assert len(res.rows[0][0]) == 1001 and res.rows[0][0].endswith("…") and res.cut_cells == 1
    assert "1 long values were cut at 1,000 characters" in " ".join(res.caveats(1000))
    many = "UNWIND range(1, 100000) AS i RETURN i, '" + "y" * 500 + "' AS pad"
    res = store.query(many, limits=limits, limit=100_000)
    assert res.truncated and res.truncated_by == "bytes" and 1000 < len(res.rows) < 3000
    assert "most data one query may return" in res.caveats(1000)[0]


def test_a_crash_kills_the_worker_not_the_caller(store: GraphStore) -> None:
    seed(store)
    runner = store._runner(store.limits)
    outcome: list[BaseException] = []

    def slow() -> None:
        try:
            store.query("UNWIND range(1, 2000000000) AS x RETURN sum(x)", timeout=60)
        except GraphError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=slow)
    thread.start()
    deadline = time.monotonic() + 30
    while not runner.running() and time.monotonic() < deadline:
        time.sleep(0.05)
    (pid,) = runner.running()
    os.kill(pid, signal.SIGSEGV)
    thread.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], QueryCrashed), outcome
    assert "signal 11" in str(outcome[0]) and "app is unaffected" in str(outcome[0])
    assert store.query("MATCH (n:Company) RETURN count(n)").rows == [[4]]


def test_a_slow_query_does_not_make_others_wait(store: GraphStore) -> None:
    seed(store)
    store.query("RETURN 1")  # one worker warm

    def slow_query() -> None:
        with pytest.raises(QueryTimeout):
            store.query("UNWIND range(1, 2000000000) AS x RETURN sum(x)", timeout=12)

    slow = threading.Thread(target=slow_query)
    slow.start()
    time.sleep(0.5)
    assert store.query("MATCH (n:Company) RETURN count(n)").rows == [[4]]
    # Order, not a stopwatch: the quick query is answered while the slow one still runs.
    assert slow.is_alive()
    slow.join(60)
    assert not slow.is_alive()


def test_a_link_runs_its_query_under_the_guard_and_lower_limits(core_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`/console?q=…&run=1` runs with no click: the page says so, the guard holds, and the link's limits apply."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT
    from tests.test_app import plain

    monkeypatch.setenv("TECHGEO_LINK_ROW_CAP", "3")

    def opened(query: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.query_params.update({"q": query, "params": "{}", "run": "1"})
        at.run()
        return at.switch_page("graph/ui/pages/console.py").run()

    at = opened("MATCH (n) // x\rLOAD CSV FROM 'file:///etc/passwd' AS l RETURN l")
    assert not at.exception, [e.value for e in at.exception]
    assert any("runs its query when the page opens" in i.value for i in at.info)
    assert any("read-only" in plain(e.value) and "LOAD" in plain(e.value) for e in at.error), [
        e.value for e in at.error
    ]
    assert not at.dataframe
    at = opened("MATCH (n:Company) RETURN n.id")
    assert len(at.dataframe[0].value) == 3
    assert any("Truncated: showing the first 3 rows" in plain(w.value) for w in at.warning), [
        w.value for w in at.warning
    ]


def test_the_console_names_its_own_time_limit_control(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A query stopped by its time limit says what to change in the app, never a command-line flag."""
    from streamlit.testing.v1 import AppTest

    from graph.importer import import_dir
    from tests.conftest import ROOT
    from tests.test_app import plain
    from tests.test_import_cli import MINI

    path = tmp_path / "g.lbdb"
    with EmbeddedStore(path) as s:
        import_dir(s, MINI)
    monkeypatch.setenv("TECHGEO_STORE", str(path))
    monkeypatch.setenv("TECHGEO_QUERY_TIMEOUT", "20")
    monkeypatch.delenv("NEO4J_URI", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("graph/ui/pages/console.py").run()
    # Slow but small: two short ranges crossed, summed as they stream (one long range is held in memory and,
    # on a loaded machine, could reach the memory limit before the time limit).
    at.text_area[0].set_value("UNWIND range(1, 100000) AS a UNWIND range(1, 100000) AS b RETURN sum(a * b % 7)")
    at.number_input(key="console_timeout").set_value(1.0)
    next(b for b in at.button if b.label == "Run").click().run()
    (error,) = [plain(e.value) for e in at.error]
    assert "time limit" in error and "raise Time limit (s) beside Run (up to 20 s)" in error.replace("*", "")
    assert "--timeout" not in error
    at.number_input(key="console_timeout").set_value(20.0)  # at the app's most, the only way out is a narrower query
    assert at.number_input(key="console_timeout").max == 20.0
