"""OFAC's Consolidated Sanctions List of non-SDN lists (legacy CSV set: ``cons_prim.csv`` and friends).

The same layout as the SDN files (:mod:`loaders.ofac_csv`). Each programme
puts the entry on its own list: ``CMIC-EO13959`` on the curated NS-CMIC list
(``us-ofac-ns-cmic``), ``NS-PLC`` on the Palestinian Legislative Council list,
``UKRAINE-EO13662`` on the Sectoral Sanctions Identifications list,
``RUSSIA-EO14024`` on the Non-SDN Menu-Based Sanctions list and
``561-Related`` on the CAPTA list (formerly the Part 561 list); a programme
not in :data:`LISTS` goes on ``us-ofac-non-sdn-other`` with its name, and the
report says so. OFAC's entry numbers are shared with the SDN list, so the
node id is ``ofac-<ent_num>`` too, and an entity on both lists is one node.
"""

from __future__ import annotations

from graph.errors import SourceMissing
from loaders.base import Context, SourceInfo
from loaders.ofac_csv import emit, find_set, link, read_set

# OFAC's Sanctions List Service; the old treasury.gov/ofac/downloads/ addresses redirect here.
OFFICIAL = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/"
FOLDERS = ("ofac-consolidated", "ofac-sdn/ofac-consolidated-non-sdn")  # fetched, then the shared sample
FILES = ("cons_prim.csv", "cons_add.csv", "cons_alt.csv", "cons_comments.csv")
LIST_PAGE = "https://ofac.treasury.gov/consolidated-sanctions-list-non-sdn-lists"
# programme -> (list id, list name)
LISTS = {
    "CMIC-EO13959": ("us-ofac-ns-cmic", "Non-SDN Chinese Military-Industrial Complex Companies List (NS-CMIC)"),
    "NS-PLC": ("us-ofac-ns-plc", "Non-SDN Palestinian Legislative Council List (NS-PLC)"),
    "UKRAINE-EO13662": ("us-ofac-ssi", "Sectoral Sanctions Identifications List (SSI)"),
    "RUSSIA-EO14024": ("us-ofac-ns-mbs", "Non-SDN Menu-Based Sanctions List (NS-MBS)"),
    "561-Related": ("us-ofac-cap", "List of Foreign Financial Institutions Subject to Correspondent Account or "
                    "Payable-Through Account Sanctions (CAPTA List)"),
}  # fmt: skip
OTHER = ("us-ofac-non-sdn-other", "OFAC Consolidated Sanctions List: other non-SDN programmes")
SOURCE = SourceInfo(
    id="src-ofac-consolidated",
    publisher="US Department of the Treasury, Office of Foreign Assets Control (OFAC)",
    title="Consolidated Sanctions List (non-SDN lists), legacy CSV files",
    url=OFFICIAL + "CONS_PRIM.CSV",
    license="US public domain (17 USC 105)",
    kind="dataset",
    files=tuple(f"{FOLDERS[1]}/{f}" for f in FILES),
    expected_rows={"cons_prim.csv": (100, 20000)},
    downloads={f"{FOLDERS[0]}/{f}": OFFICIAL + f.upper() for f in FILES},
)


def load(ctx: Context) -> None:
    """Emit every non-SDN entry, its links, and a listing on the list of each of its programmes."""
    paths = _files(ctx)
    entries = read_set(ctx, *paths)
    said = {n: emit(ctx, e)[1] for n, e in sorted(entries.items())}
    link(ctx, entries, said)
    lists_used: set[tuple[str, str]] = set()
    unknown: set[str] = set()
    for n, e in sorted(entries.items()):
        ctx.at(ctx.source.id, e.line)
        for program in e.programs or ["(none)"]:
            list_id, list_name = LISTS.get(program, OTHER)
            if program not in LISTS:
                unknown.add(program)
            lists_used.add((list_id, list_name))
            ctx.edge(
                "LISTED_ON",
                f"ofac-{n}",
                list_id,
                id=f"ofac-cons-{n}-{program}",
                entry=str(n),
                program=program,
                note="listing date not in the legacy CSV files",
            )
    for list_id, name in sorted(lists_used):
        ctx.node(
            "SanctionList",
            list_id,
            name,
            authority="US Department of the Treasury, OFAC",
            jurisdiction="USA",
            blocking=False,
            url=LIST_PAGE,
        )
        ctx.edge("IMPOSED_BY", list_id, "USA", id=f"imposed-{list_id}")
    if unknown:
        ctx.report.warnings.append(
            f"programmes with no list of their own, put on {OTHER[0]}: {', '.join(sorted(unknown))}"
        )


def _files(ctx: Context) -> tuple:  # type: ignore[type-arg]
    for folder in FOLDERS:
        found = find_set(ctx, folder, FILES)
        if found is not None:
            return tuple(found)
    raise SourceMissing(
        f"{SOURCE.id}: no cons_prim.csv in {', '.join(FOLDERS)}; run `python -m graph fetch {SOURCE.id}`"
    )
