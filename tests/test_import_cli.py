"""``python -m graph import`` and friends, as a person runs them: bad input is refused
with a message naming file and line, and the store is left exactly as it was."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from graph.store.base import GraphStore
from graph.store.embedded import EmbeddedStore
from tests.conftest import FIXTURES, ROOT, dump, need

MINI = FIXTURES / "mini"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graph", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def run_here(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m graph ARGS`` in this process (``graph.cli.main``, the same code the command runs), for
    the many cases where starting a Python per run would cost more than the check itself."""
    from graph.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return subprocess.CompletedProcess(["graph", *args], code, out.getvalue(), err.getvalue())


def target(store: GraphStore) -> list[str]:
    return ["--store", str(store.path)] if isinstance(store, EmbeddedStore) else ["--neo4j", store.uri]


def copy_fixture(tmp_path: Path, file: str | None = None, line: int = 0, content: str = "") -> Path:
    """A copy of the mini import; with ``file``, its ``line`` replaced by ``content``."""
    d = tmp_path / "import"
    shutil.copytree(MINI, d)
    if file:
        lines = (d / file).read_text(encoding="utf-8").splitlines()
        lines[line - 1] = content
        (d / file).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return d


def test_import_twice_changes_nothing(store: GraphStore) -> None:
    first = run("import", str(MINI), *target(store))
    assert first.returncode == 0, first.stderr
    assert "imported 7 nodes (7 new) and 6 relationships (6 new)" in first.stdout
    before = dump(store)
    second = run("import", str(MINI), *target(store))
    assert second.returncode == 0, second.stderr
    assert "(0 new)" in second.stdout
    assert dump(store) == before


BAD_INPUTS = [
    (
        "nodes.jsonl",
        1,
        '{"id": "x", "label": "Firm", "name": "X", "sources": ["src-fr-2019-10616"]}',
        "unknown label 'Firm'",
    ),
    (
        "edges.jsonl",
        1,
        '{"type": "BUYS_FROM", "start": "huawei", "end": "CHN", "sources": ["src-fr-2019-10616"]}',
        "unknown relationship type 'BUYS_FROM'",
    ),
    ("nodes.jsonl", 2, '{"id": "x", "label": "Company", "name": "X"}', "sources is required"),
    (
        "nodes.jsonl",
        2,
        '{"id": "x", "label": "Company", "name": "X", "sources": ["nowhere"]}',
        "source 'nowhere' does not exist",
    ),
    (
        "edges.jsonl",
        4,
        '{"type": "LISTED_ON", "start": "huawei", "end": "us-bis-entity-list", "valid_from": "2019-13-40", "sources": ["src-fr-2019-10616"]}',
        "valid_from: '2019-13-40' is not a real date",
    ),
    (
        "edges.jsonl",
        3,
        '{"type": "OWNS", "start": "huawei", "end": "hisilicon", "share": 150, "sources": ["src-fr-2019-10616"]}',
        "share: 150 is above the maximum 100",
    ),
    (
        "edges.jsonl",
        2,
        '{"type": "SUBSIDIARY_OF", "start": "hisilicon", "end": "ghost-co", "sources": ["src-fr-2019-10616"]}',
        "dangling edge: end node 'ghost-co' does not exist",
    ),
    ("nodes.jsonl", 3, '{"id": "CHN", "label": "Country", "name": "China", ', "broken JSON"),
    (
        "nodes.jsonl",
        1,
        '{"id": "huawei", "label": "Company", "name": "Huawei", "ceo": "x", "sources": ["src-fr-2019-10616"]}',
        "unknown property 'ceo'",
    ),
    (
        "sources.jsonl",
        1,
        '{"id": "s", "publisher": "P", "title": "T", "url": "u", "licence": "x"}',
        "unknown field(s) licence",
    ),
    # Python's and Arrow's JSON parsers read NaN and Infinity, and 1e400 as infinity; no float property holds them.
    (
        "edges.jsonl",
        3,
        '{"type": "OWNS", "start": "huawei", "end": "hisilicon", "share": NaN, "sources": ["src-fr-2019-10616"]}',
        "share: expected a finite number, got nan",
    ),
    (
        "edges.jsonl",
        3,
        '{"type": "OWNS", "start": "huawei", "end": "hisilicon", "share": -Infinity, "sources": ["src-fr-2019-10616"]}',
        "share: expected a finite number, got -inf",
    ),
    (
        "nodes.jsonl",
        5,
        '{"id": "euv", "label": "Technology", "name": "EUV", "market_size_usd": 1e400, "sources": ["src-fr-2019-10616"]}',
        "market_size_usd: expected a finite number, got inf",
    ),
    (
        "nodes.jsonl",
        5,
        '{"id": "fdpr", "label": "ExportControl", "name": "FDPR", "threshold": NaN, "sources": ["src-fr-2019-10616"]}',
        "threshold: expected a finite number, got nan",
    ),
    (
        "nodes.jsonl",
        5,
        '{"id": "n7", "label": "Product", "name": "N7", "node_nm": Infinity, "sources": ["src-fr-2019-10616"]}',
        "node_nm: expected a finite number, got inf",
    ),
    # Integers beyond 64 bits overflowed the stores' INT64 columns with a traceback.
    (
        "nodes.jsonl",
        5,
        '{"id": "pf", "label": "Portfolio", "name": "Portfolio", "count": 100000000000000000000, "sources": ["src-fr-2019-10616"]}',
        "count: 100000000000000000000 is outside the range of a 64-bit integer, -9223372036854775808 to 9223372036854775807",
    ),
    (
        "nodes.jsonl",
        5,
        '{"id": "pf", "label": "Portfolio", "name": "Portfolio", "count": 1e20, "sources": ["src-fr-2019-10616"]}',
        "count: 100000000000000000000 is outside the range of a 64-bit integer",
    ),
    (
        "nodes.jsonl",
        5,
        '{"id": "pf", "label": "Portfolio", "name": "Portfolio", "count": 1'
        + "0" * 5000
        + ', "sources": ["src-fr-2019-10616"]}',
        "Exceeds the limit (4300 digits)",
    ),
    (
        "edges.jsonl",
        3,
        '{"type": "OWNS", "start": "huawei", "end": "hisilicon", "share": 1'
        + "0" * 400
        + ', "sources": ["src-fr-2019-10616"]}',
        "share: a number of about 401 digits is above the largest float",
    ),
    # json.loads keeps the last of two values for one key: the record would silently say something else.
    (
        "edges.jsonl",
        3,
        '{"type": "OWNS", "start": "huawei", "end": "hisilicon", "share": 10, "share": 90, "sources": ["src-fr-2019-10616"]}',
        "duplicate key 'share' in one object",
    ),
    (
        "nodes.jsonl",
        2,
        '{"id": "hisilicon", "label": "Company", "name": "HiSilicon", "label": "Country", "sources": ["src-fr-2019-10616"]}',
        "duplicate key 'label' in one object",
    ),
    (
        "sources.jsonl",
        1,
        '{"id": "s", "publisher": "P", "title": "T", "title": "Other", "url": "u"}',
        "duplicate key 'title' in one object",
    ),
    # The message showed "100 is above the maximum 100": the value must keep its digits.
    (
        "edges.jsonl",
        3,
        '{"type": "OWNS", "start": "huawei", "end": "hisilicon", "share": 100.0001, "sources": ["src-fr-2019-10616"]}',
        "share: 100.0001 is above the maximum 100",
    ),
    (
        "edges.jsonl",
        3,
        '{"type": "OWNS", "start": "huawei", "end": "hisilicon", "share": -1e-9, "sources": ["src-fr-2019-10616"]}',
        "share: -1e-09 is below the minimum 0",
    ),
]


@pytest.mark.parametrize(("file", "line", "content", "message"), BAD_INPUTS, ids=[b[3][:30] for b in BAD_INPUTS])
def test_bad_input_is_refused_and_store_unchanged(
    store: GraphStore, tmp_path: Path, file: str, line: int, content: str, message: str
) -> None:
    assert run_here("import", str(MINI), *target(store)).returncode == 0
    before = dump(store)
    d = copy_fixture(tmp_path, file, line, content)
    # The rest of the import is valid and new: it must not be written either.
    with open(d / "nodes.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"id": "newco", "label": "Company", "name": "New Co", "sources": ["src-fr-2019-10616"]}\n')
    res = run_here("import", str(d), *target(store))
    assert res.returncode == 1
    last = res.stderr.strip().splitlines()[-1]
    assert f"{file}:{line}" in res.stderr and message in res.stderr, res.stderr
    assert last.startswith("error: ") and "nothing was written" in last
    assert dump(store) == before


def test_wrong_encoding_is_refused(tmp_path: Path) -> None:
    d = copy_fixture(tmp_path)
    text = (d / "nodes.jsonl").read_text(encoding="utf-8").replace("Huawei Technologies", "Huawéi Technologies")
    (d / "nodes.jsonl").write_bytes(text.encode("latin-1"))
    res = run("import", str(d), "--store", str(tmp_path / "g.lbdb"))
    assert res.returncode == 1
    assert "nodes.jsonl:1: not UTF-8 text" in res.stderr
    assert not (tmp_path / "g.lbdb").exists() or EmbeddedStore(tmp_path / "g.lbdb").stats()["total_nodes"] == 0


def test_missing_file_is_named(tmp_path: Path) -> None:
    d = copy_fixture(tmp_path)
    (d / "edges.jsonl").unlink()
    res = run("import", str(d), "--store", str(tmp_path / "g.lbdb"))
    assert res.returncode == 1 and "missing edges.jsonl" in res.stderr


def test_query_formats(tmp_path: Path) -> None:
    db = str(tmp_path / "g.lbdb")
    assert run("import", str(MINI), "--store", db).returncode == 0
    res = run(
        "query",
        "MATCH (c:Company) WHERE c.country = $cc RETURN c.id AS id, c.name AS name ORDER BY id",
        "--param",
        'cc="CHN"',
        "--format",
        "json",
        "--store",
        db,
    )
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == [
        {"id": "hisilicon", "name": "HiSilicon Technologies Co., Ltd."},
        {"id": "huawei", "name": "Huawei Technologies Co., Ltd."},
    ]
    res = run(
        "query", "MATCH (c:Company) RETURN c.id AS id, c.roles AS roles ORDER BY id", "--format", "csv", "--store", db
    )
    assert res.stdout.splitlines()[:2] == ["id,roles", 'hisilicon,"[""fabless""]"']
    res = run("query", "MATCH (c:Company) RETURN c.id ORDER BY c.id", "--limit", "1", "--store", db)
    assert res.returncode == 0 and "Truncated: showing the first 1 rows" in res.stderr
    res = run("query", "MATCH (n) DETACH DELETE n", "--store", db)
    assert res.returncode == 1 and res.stderr.startswith("error: refused: the console is read-only")
    res = run("query", "RETURN $x", "--param", "x=notjson", "--store", db)
    assert res.returncode == 1 and "is not JSON" in res.stderr
    res = run("stats", "--format", "json", "--store", db)
    stats = json.loads(res.stdout)
    assert stats["nodes"]["Company"] == 3 and stats["relationships"]["LISTED_ON"] == 2


def test_errors_a_person_can_act_on(tmp_path: Path, neo4j_uri: str) -> None:
    res = run("stats", "--store", str(tmp_path / "absent.lbdb"))
    assert res.returncode == 1 and "run `python -m graph build` first" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    res = run("stats", "--neo4j", "bolt://127.0.0.1:1")
    assert res.returncode == 1 and "cannot reach Neo4j at bolt://127.0.0.1:1" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    res = run("stats", "--neo4j", neo4j_uri, env={"NEO4J_PASSWORD": "wrong-password"})
    assert res.returncode == 1 and "refused user 'neo4j'" in res.stderr and "NEO4J_PASSWORD" in res.stderr
    res = run("stats", "--neo4j", neo4j_uri.replace("bolt://", "bolt://neo4j:secret@"), env={"NEO4J_PASSWORD": "wrong"})
    assert "secret" not in res.stderr


FORMULAS = ['=HYPERLINK("http://127.0.0.1:9/","click")', "+1+1", "@SUM(1)", "-2+3"]
FORMULA_QUERY = (
    "MATCH (c:Company) WHERE c.id = 'huawei' "
    "RETURN c.name AS name, '+1+1' AS plus, '@SUM(1)' AS at, '-2+3' AS minus, -5 AS number, '-5' AS text_number, "
    "'Huawei Technologies' AS plain"
)


def test_csv_output_neutralises_formulas(tmp_path: Path) -> None:
    """A cell a spreadsheet would run as a formula starts with a quote; numbers and plain text are as they were."""
    import csv

    huawei = {"id": "huawei", "label": "Company", "name": FORMULAS[0], "sources": ["src-fr-2019-10616"]}
    d = copy_fixture(tmp_path, "nodes.jsonl", 1, json.dumps(huawei))
    db = str(tmp_path / "g.lbdb")
    assert run("import", str(d), "--store", db).returncode == 0
    res = run("query", FORMULA_QUERY, "--format", "csv", "--store", db)
    assert res.returncode == 0, res.stderr
    header, row = list(csv.reader(res.stdout.splitlines()))
    assert header == ["name", "plus", "at", "minus", "number", "text_number", "plain"]
    assert row == ["'" + f for f in FORMULAS] + ["-5", "-5", "Huawei Technologies"]


@pytest.mark.parametrize(
    "args",
    [
        ["query", "RETURN 1", "--timeout", "-1"],
        ["query", "RETURN 1", "--timeout", "nan"],
        ["query", "RETURN 1", "--timeout", "inf"],
        ["query", "RETURN 1", "--timeout", "0"],  # used to turn the time limit off, silently
        ["query", "RETURN 1", "--timeout", "1e300"],  # overflowed the embedded store's milliseconds
        ["query", "RETURN 1", "--limit", "0"],
        ["paths", "a", "b", "--k", "0"],
        ["paths", "a", "b", "--max-hops", "-2"],
        ["paths", "a", "b", "--max-hops", "100000000000000000000000"],  # OverflowError in the path search
        ["centrality", "--top", "0"],
        ["render", "a", "--out", "x.html", "--hops", "0"],
        ["render", "a", "--out", "x.html", "--limit", "-1"],
    ],
    ids=lambda a: " ".join(a[-2:]),
)
def test_numbers_that_make_no_sense_are_usage_errors(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from graph.cli import main

    with pytest.raises(SystemExit) as stop:
        main([*args, "--store", "nowhere.lbdb"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"error: argument {args[-2]}: {args[-1]!r}" in err.splitlines()[-1]
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TECHGEO_QUERY_TIMEOUT", "nan", "'nan' is not a time limit"),
        ("TECHGEO_QUERY_TIMEOUT", "-5", "'-5' is not a time limit"),
        ("TECHGEO_QUERY_TIMEOUT", "0", "'0' is not a time limit"),
        ("TECHGEO_QUERY_TIMEOUT", "soon", "'soon' is not a number of seconds"),
        ("TECHGEO_ROW_CAP", "0", "'0' must be at least 1"),
        ("TECHGEO_ROW_CAP", "2.5", "'2.5' is not a whole number"),
    ],
)
def test_bad_settings_name_their_variable(
    name: str, value: str, message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from graph import settings
    from graph.cli import main
    from graph.errors import GraphError

    monkeypatch.setenv(name, value)
    with pytest.raises(GraphError, match=f"^{name}: {message}"):
        settings.load()
    assert main(["stats", "--store", "nowhere.lbdb"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {name}: {message}") and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "uri",
    [
        "http://neo4j:hunter2@localhost:7474",  # the driver's preview HTTP support: ModuleNotFoundError
        "https://localhost:7473",
        "localhost:7687",
        "bolt+xyz://localhost",
        "bolt://",
        "neo4j+s://",
        "bolt://localhost:http",
        "bolt://localhost:99999",
        "bolt://[::1",
    ],
)
def test_a_uri_that_is_not_bolt_is_refused_in_one_line(uri: str, capsys: pytest.CaptureFixture[str]) -> None:
    from graph.cli import main

    assert main(["stats", "--neo4j", uri]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"error: '{uri.replace('neo4j:hunter2@', '')}' is not a Neo4j URI")
    assert "bolt, bolt+s, bolt+ssc, neo4j, neo4j+s, neo4j+ssc" in err and "hunter2" not in err


def test_credentials_in_the_uri_are_refused_and_not_shown(capsys: pytest.CaptureFixture[str]) -> None:
    from graph.cli import main

    assert main(["stats", "--neo4j", "bolt://neo4j:hunter2@127.0.0.1:1"]) == 1
    err = capsys.readouterr().err
    assert (
        err
        == "error: the Neo4j URI 'bolt://127.0.0.1:1' carries credentials; give them in NEO4J_USER and NEO4J_PASSWORD\n"
    )


def test_dev_server_keeps_its_password_to_itself(tmp_path: Path) -> None:
    """The password of tools/neo4j/server.py shows in no command line, environment, log or output,
    and the server itself refuses to read local files with LOAD CSV."""
    import secrets
    import socket

    import neo4j

    need(shutil.which("java") is not None, "Java 17 is needed to run Neo4j (apt-get install openjdk-17-jdk-headless)")
    password = "pw-" + secrets.token_hex(8)
    var = tmp_path / "neo4j"
    with socket.socket() as s:  # a port of its own: the session's server may be running on the usual one
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "TECHGEO_NEO4J_PORT": str(port),
        "TECHGEO_NEO4J_VAR": str(var),
        "TECHGEO_NEO4J_PASSWORD": password,
    }
    server = [sys.executable, str(ROOT / "tools" / "neo4j" / "server.py")]
    started = subprocess.run([*server, "start"], env=env, capture_output=True, text=True, timeout=300)
    try:
        assert started.returncode == 0, started.stderr
        assert f"bolt://127.0.0.1:{port}" in started.stdout
        assert password not in started.stdout + started.stderr
        pid = int((var / "server.pid").read_text())
        assert b"Launcher.java" in Path(f"/proc/{pid}/cmdline").read_bytes()
        for part in ("cmdline", "environ"):
            assert password.encode() not in Path(f"/proc/{pid}/{part}").read_bytes(), part
        driver = neo4j.GraphDatabase.driver(f"bolt://127.0.0.1:{port}", auth=("neo4j", password))
        with driver, driver.session() as session:
            with pytest.raises(neo4j.exceptions.ClientError, match="allow_csv_import_from_file_urls"):
                session.run("LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row LIMIT 1").consume()
            settings = dict(
                session.run(
                    "SHOW SETTINGS YIELD name, value WHERE name STARTS WITH 'dbms.security.' RETURN name, value"
                ).values()
            )
        assert settings["dbms.security.allow_csv_import_from_file_urls"] == "false"
        assert settings["dbms.security.procedures.allowlist"].startswith("db.labels,")
    finally:
        subprocess.run([*server, "stop"], env=env, capture_output=True, timeout=120)
    logs = [f for f in var.rglob("*") if f.is_file()]
    assert any(f.name == "debug.log" for f in logs)
    assert [f for f in logs if password.encode() in f.read_bytes()] == []
