"""The entity search: only an exact id, name or alias opens; anything else says so and suggests, with quality.

Checked on the core graph built from data/ and the shipped raw lists, with the
names analysts tried: a company absent from the graph must never open its
nearest fuzzy match.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.search import ALIKE, EntityFinder, fold
from graph.store.embedded import EmbeddedStore


@pytest.fixture(scope="module")
def finder(core_embedded: Path) -> EntityFinder:
    with EmbeddedStore(core_embedded) as s:
        return EntityFinder(s.entities())


def test_exact_names_aliases_and_ids_open(finder: EntityFinder) -> None:
    for text in ("huawei", "Huawei Technologies Co., Ltd.", "HUAWEI TECHNOLOGIES CO LTD", "华为", "  huawei  "):
        assert finder.find(text).opened == "huawei", text
    assert finder.find("China").opened == "CHN"
    assert finder.find("Semiconductor Manufacturing International Corporation").opened == "smic"


@pytest.mark.parametrize("name", ["ByteDance", "Qwertyuiop Zxcvb Holdings"])
def test_a_company_not_in_the_graph_opens_nothing_and_says_so(finder: EntityFinder, name: str) -> None:
    found = finder.find(name)
    assert found.opened is None
    assert found.message == f"“{name}” is not in the graph: no entity has that name or alias."
    assert all(s.quality < ALIKE for s in found.suggestions)


def test_a_near_name_is_a_suggestion_with_its_label_and_quality_never_opened(finder: EntityFinder) -> None:
    found = finder.find("Megvii")  # the list has it as "MEGVII TECHNOLOGY LIMITED"
    assert found.opened is None and "No entity is named “Megvii” exactly" in found.message
    best = found.suggestions[0]
    assert "MEGVII" in best.name and best.label == "Company" and ALIKE <= best.quality < 1
    assert best.text().startswith(f"{best.name} (Company) · {round(best.quality * 100)}% · similar name")
    typed = finder.find("Huaw")
    assert typed.opened is None
    assert typed.suggestions[0].id == "huawei" and typed.suggestions[0].how == "name begins with “huaw”"


def test_a_name_of_several_entities_offers_them_all(finder: EntityFinder) -> None:
    found = finder.find("DJI")  # Djibouti's id, and the drone maker's alias on two lists
    assert found.opened is None and found.message == f"“DJI” names {len(found.suggestions)} entities: choose one."
    assert {"DJI", "ofac-33111"} <= {s.id for s in found.suggestions}
    assert {s.quality for s in found.suggestions} == {1.0}
    assert finder.find("dji").opened is None  # an id matches as written: lower case is the alias only


def test_fold_ignores_case_spacing_and_punctuation_only() -> None:
    assert fold("ASML Holding N.V.") == fold("asml  holding nv") == "asml holding nv"
    assert fold("Huawei Tech") != fold("Huawei Technologies")
