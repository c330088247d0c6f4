"""A generated GLEIF golden copy (LEI-CDF ``lei2`` and RR-CDF ``rr`` CSV), for the scale benchmark.

Each row is a real golden-copy row (the test fixture's, in GLEIF's own
column order) with its identifying fields replaced: a fresh LEI with valid
ISO 17442 check digits, a legal name, a jurisdiction and countries. The
relationship records link child to parent (``IS_DIRECTLY_CONSOLIDATED_BY``,
active, published); a chosen share carry a percentage quantifier, so they
become ``OWNS`` as well as ``SUBSIDIARY_OF``. Deterministic: the same
arguments write the same bytes.

    python -m tools.gleif_fixture DIR --leis 3000000 --relationships 400000
"""

from __future__ import annotations

import argparse
import csv
import random
import string
from pathlib import Path

from graph.settings import ROOT

TEMPLATES = ROOT / "tests" / "fixtures" / "gleif-lei-level2"
COUNTRIES = ("US", "GB", "DE", "FR", "NL", "CN", "HK", "JP", "KR", "SG", "IE", "LU", "KY", "CH", "IN", "BR")
WORDS = ("Alder", "Birch", "Cedar", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper", "Kestrel",
         "Lumen", "Meridian", "Nimbus", "Orion", "Pioneer", "Quartz", "Ridge", "Summit", "Tundra")  # fmt: skip
KINDS = ("Holdings", "Capital", "Industries", "Technologies", "Trading", "Partners", "Logistics", "Energy")
FORMS = ("Ltd", "LLC", "GmbH", "S.A.", "B.V.", "Inc.", "Co., Ltd.", "plc")


def lei(prefix: str, body: str) -> str:
    """An LEI from a 4-character prefix and a 14-character body, with its ISO 7064 MOD 97-10 check digits."""
    base = (prefix + body).upper()
    digits = int("".join(str(int(c, 36)) for c in base + "00"))
    return f"{base}{98 - digits % 97:02d}"


def _template(name: str) -> tuple[list[str], list[str]]:
    with (TEMPLATES / name).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1]


def write(folder: Path, leis: int, relationships: int, with_share: float = 0.2, seed: int = 11) -> list[str]:
    """Write ``lei2-golden-copy.csv`` and ``rr-golden-copy.csv`` into ``folder``; return the LEIs written."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    header, row = _template("lei2-golden-copy.csv")
    at = {h: i for i, h in enumerate(header)}
    alphabet = string.ascii_uppercase + string.digits
    codes: list[str] = []
    with (folder / "lei2-golden-copy.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
        out.writerow(header)
        for n in range(leis):
            code = lei("5493", "".join(rng.choice(alphabet) for _ in range(14)))
            codes.append(code)
            country = rng.choice(COUNTRIES)
            cells = list(row)
            name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(KINDS)} {n} {rng.choice(FORMS)}"
            for column in header:
                if "OtherEntityName" in column or "Transliterated" in column:
                    cells[at[column]] = ""
            cells[at["LEI"]] = code
            cells[at["Entity.LegalName"]] = name
            cells[at["Entity.LegalJurisdiction"]] = country
            cells[at["Entity.LegalAddress.Country"]] = country
            cells[at["Entity.HeadquartersAddress.Country"]] = country
            cells[at["Entity.LegalAddress.Region"]] = cells[at["Entity.HeadquartersAddress.Region"]] = ""
            out.writerow(cells)
    header, row = _template("rr-golden-copy.csv")
    at = {h: i for i, h in enumerate(header)}
    with (folder / "rr-golden-copy.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
        out.writerow(header)
        for n in range(relationships):
            child, parent = rng.sample(range(leis), 2)
            cells = list(row)
            cells[at["Relationship.StartNode.NodeID"]] = codes[child]
            cells[at["Relationship.EndNode.NodeID"]] = codes[parent]
            share = n < relationships * with_share
            cells[at["Relationship.Quantifiers.1.QuantifierAmount"]] = f"{rng.uniform(10, 100):.2f}" if share else ""
            for column in ("MeasurementMethod", "QuantifierUnits"):
                cells[at[f"Relationship.Quantifiers.1.{column}"]] = (
                    row[at[f"Relationship.Quantifiers.1.{column}"]] if share else ""
                )
            out.writerow(cells)
    return codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--leis", type=int, default=3_000_000)
    parser.add_argument("--relationships", type=int, default=400_000)
    args = parser.parse_args()
    write(args.folder, args.leis, args.relationships)
    print(f"wrote {args.leis:,} LEIs and {args.relationships:,} relationship records into {args.folder}")


if __name__ == "__main__":
    main()
