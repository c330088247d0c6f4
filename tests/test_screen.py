"""Screening on the real graph, on both stores: ``python -m graph screen`` and the Screen page.

A name that is in the graph is found with the reason and its exposure on the
date; a name that is not says so with the nearest names, in every format; a
bad input file is one line that says what to change."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from graph.screen import COLUMNS
from graph.screen_input import ScreenInputError, from_file
from tests.conftest import ROOT


def screen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graph", "screen", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def as_json(*args: str) -> list[dict[str, Any]]:
    res = screen(*args, "--format", "json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_a_listed_company_is_found_with_its_lists_and_why(core_env: str) -> None:
    [huawei, nobody] = as_json("HUAWEI TECHNOLOGIES CO., LTD.", "Qwertyuiop Zxcvb Holdings", "--as-of", "2024-06-01")
    assert huawei["status"] == "match" and huawei["as_of"] == "2024-06-01"
    best = huawei["matches"][0]
    assert best["id"] == "huawei" and best["score"] >= 0.9 and best["reason"]
    lists = {x["list"]: x for x in best["exposure"]["components"]["direct"]}
    assert "us-bis-entity-list" in lists and lists["us-bis-entity-list"]["citation"]
    assert best["exposure"]["score"] > 0
    assert nobody["status"] == "no match" and nobody["matches"] == []
    assert isinstance(nobody["nearest"], list)


def test_the_date_decides_the_lists(core_env: str) -> None:
    """Noriega is on the SDN list in the 2021 snapshot and gone from the 2022 one; he is matched on both dates."""
    [then] = as_json("Manuel Antonio Noriega", "--as-of", "2021-09-01")
    [later] = as_json("Manuel Antonio Noriega", "--as-of", "2022-06-01")
    assert then["matches"][0]["id"] == later["matches"][0]["id"] == "ofac-1572"
    assert [x["list"] for x in then["matches"][0]["exposure"]["components"]["direct"]] == ["us-ofac-sdn"]
    assert later["matches"][0]["exposure"]["components"]["direct"] == []


def test_json_is_json_even_when_nothing_matches(core_env: str) -> None:
    [r] = as_json("Zzzzqqqq Nonesuch")
    assert r["status"] == "no match" and r["query"]["name"] == "Zzzzqqqq Nonesuch"


def test_csv_output_is_safe_and_complete(tmp_path: Path, core_env: str) -> None:
    res = screen('=HYPERLINK("http://x")', "SMIC", "--format", "csv")
    assert res.returncode == 0, res.stderr
    rows = list(csv.reader(io.StringIO(res.stdout)))
    assert rows[0] == list(COLUMNS)
    assert rows[1][0].startswith("'=")  # a spreadsheet shows it as text
    smic = [r for r in rows[1:] if r[0] == "SMIC"]
    assert smic and any(r[2] == "match" for r in smic)


def test_a_file_of_names_with_countries_and_identifiers(tmp_path: Path, core_env: str) -> None:
    path = tmp_path / "counterparties.csv"
    path.write_text(
        "Name,Country,Type,Notes\n"
        "Semiconductor Manufacturing International Corporation,CN,company,a\n"
        ",,,empty name\n"
        "Banco Nacional de Cuba,Cuba,Company,\n",
        encoding="utf-8",
    )
    res = screen("--file", str(path), "--format", "json")
    assert res.returncode == 0, res.stderr
    results = json.loads(res.stdout)
    assert [r["query"]["row"] for r in results] == [2, 4]
    assert results[1]["matches"][0]["id"] == "ofac-306"  # the same name, though its addresses are abroad
    assert "counterparties.csv:3: no name; row skipped" in res.stderr
    assert "column(s) not used for screening: Notes" in res.stderr


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.csv", b"firm,city\nHuawei,Shenzhen\n", "no name column in the header"),
        ("b.csv", b"", "empty; expected a header row"),
        ("c.xlsx", b"not a workbook", "not a readable .xlsx workbook"),
        ("d.pdf", b"%PDF", "expected a .csv or .xlsx file"),
        ("e.csv", b"name\n\x00\x01", "holds NUL bytes"),
    ],
)
def test_a_bad_file_is_one_line(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    with pytest.raises(ScreenInputError, match=message):
        from_file(data, name)
    path = tmp_path / name
    path.write_bytes(data)
    res = screen("--file", str(path))
    assert res.returncode == 1 and res.stderr.startswith("error: ") and message in res.stderr
    assert res.stderr.strip().count("\n") == 0, res.stderr


def test_inputs_from_excel_and_utf16() -> None:
    from graph.tabular import xlsx_bytes

    book = xlsx_bytes(["Counterparty", "LEI"], [["Huawei Technologies", "5493001KJTIIGC8Y1R12"]])
    [q] = from_file(book, "list.xlsx").queries
    assert q.name == "Huawei Technologies" and q.identifiers == ("lei:5493001KJTIIGC8Y1R12",) and q.row == 2
    [q] = from_file("name\tcountry\n华为技术有限公司\tCN\n".encode("utf-16"), "list.txt").queries
    assert q.name == "华为技术有限公司" and q.country == "CN"


def test_the_screen_page_finds_and_explains(core_env: str) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("graph/ui/pages/screen.py").run()
    assert not at.exception, [e.value for e in at.exception]
    at.text_area(key="screen_names").set_value("Huawei Technologies Co., Ltd.\nQwertyuiop Zxcvb Holdings\n")
    at.button(key="screen_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if "status" in d.value.columns)
    assert list(table["status"])[:1] == ["match"] and "huawei" in list(table["id"])
    row = table[table["id"] == "huawei"].iloc[0]
    assert "Entity List" in row["lists"] and row["explain"].startswith("/exposure?entity=huawei&as_of=")
    assert any("Qwertyuiop Zxcvb Holdings: not in the graph" in t.value for t in at.text)
    assert "2 names screened" in at.subheader[0].value and "1 matched" in at.subheader[0].value
