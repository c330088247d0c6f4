"""Spreadsheet cells: what would run as a formula is quoted, numbers and text are left alone."""

from __future__ import annotations

import csv

import pytest

from graph.tabular import csv_text, safe_cell


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://127.0.0.1:9/","x")', "+1+1", "-2+3", "@SUM(1)", "\t=1", "\r=1", "-", "+", "＝1+1", "-5x"],
)
def test_a_formula_start_is_quoted(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-5", "+1.5", "-.5", "1e-3", "-2E+3", -5, 2.5, None, True, "Huawei", "a=b", ""])
def test_numbers_and_text_stay(value: object) -> None:
    assert safe_cell(value) == value


def test_csv_text_quotes_cells_and_header() -> None:
    text = csv_text(["=h", "n"], [["=1+1", -5], ['a "b", c', "@x"]])
    assert list(csv.reader(text.splitlines())) == [["'=h", "n"], ["'=1+1", "-5"], ['a "b", c', "'@x"]]
