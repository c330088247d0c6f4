"""USPTO patent grants in the weekly full-text XML (``ipgYYMMDD.xml``, Red Book DTD us-patent-grant v4.x).

A weekly file is many XML documents one after the other, each with its own
``<?xml ...?>`` declaration: the loader splits them and parses each alone.
Most are ``<us-patent-grant>``; some are ``<sequence-cwu>`` (sequence
listings), which are counted and not read. From each grant it emits:

* a ``Patent`` ``us-patent-<number>`` (the number as PatentsView writes it,
  ``D680087`` for the XML's ``D0680087``, so both sources merge), with its
  number, title, kind (``appl-type``), grant and filing dates, its CPC
  symbols (``classifications-cpc``) and its IPC symbols
  (``classifications-ipcr``);
* a ``Company`` per organisation assignee and a ``Person`` per individual
  assignee, with its country; the resolver joins them to the companies that
  other sources describe (``Samsung Electronics Co., Ltd.`` is Samsung);
* ``HOLDS`` from each assignee, with its position on the patent, and
  ``COVERS`` to each technology of the curated class table
  (:mod:`loaders.patent_common`), from the CPC symbols or, when the record
  has none, from the IPC ones.

Files: ``patents-patentsview-uspto/ipg*.xml``, or the weekly ``ipg*.zip`` as
the USPTO publishes it. A document that is not well-formed, or a grant
without its number, stops the load with file, line and what was expected;
a grant without a title is loaded and warned about.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from graph.errors import SourceMissing
from loaders.base import Context, SourceInfo, iso_date, open_text
from loaders.common import clean_name, country_code
from loaders.patent_common import CpcTable, cpc_table, number_of, patent_node_id, symbol

FOLDER = "patents-patentsview-uspto"
SOURCE = SourceInfo(
    id="src-uspto-grant-xml",
    publisher="United States Patent and Trademark Office",
    title="Patent Grant Full Text Data (weekly XML, us-patent-grant v4.x)",
    url="https://bulkdata.uspto.gov/data/patent/grant/redbook/fulltext/",
    license="US government work, public domain",
    kind="dataset",
    files=(f"{FOLDER}/ipg*.xml",),
)
DECLARATION = re.compile(r"<\?xml\b")
KINDS = {"utility", "design", "plant", "reissue", "sir", "defensive-publication"}


def load(ctx: Context) -> None:
    """Emit every grant of every weekly file found, its assignees and its technologies."""
    files = ctx.glob(FOLDER, ("ipg*.xml", "ipg*.zip"))
    if not files:
        raise SourceMissing(
            f"{SOURCE.id}: no ipg*.xml in {', '.join(str(d / FOLDER) for d in ctx.raw_dirs)}; download it from "
            f"{SOURCE.url} (a weekly ipgYYMMDD.zip) into data/raw/{FOLDER}/"
        )
    table = cpc_table(ctx)
    assignees: dict[str, str] = {}
    for path in files:
        grants = other = 0
        for line, text in _documents(ctx, path):
            ctx.at(path, line)
            root = _parse(ctx, text)
            if root.tag != "us-patent-grant":
                other += 1
                continue
            _grant(ctx, root, table, assignees)
            grants += 1
        ctx.at(path, 0)
        if other:
            ctx.report.warnings.append(f"{path.name}: {other} documents are not grants (sequence listings); not read")
        if not grants:
            raise ctx.fail("no <us-patent-grant> document; expected a USPTO weekly grant file (ipgYYMMDD)")
        ctx.count(path.name, grants)


def _documents(ctx: Context, path: Path) -> Iterator[tuple[int, str]]:
    """(line of its declaration, text) of each XML document in a weekly file, plain or zipped."""
    ctx.at(path, 1)
    try:
        with open_text(ctx, path, ".xml", "the USPTO's weekly ipgYYMMDD.zip") as stream:
            text = stream.read()
    except UnicodeDecodeError as exc:
        raise ctx.fail(f"not UTF-8 text ({exc}); the USPTO publishes grant XML as UTF-8") from exc
    starts = [m.start() for m in DECLARATION.finditer(text)]
    if not starts:
        raise ctx.fail("no <?xml ...?> declaration; expected a USPTO weekly grant file of XML documents")
    line = 1 + text.count("\n", 0, starts[0])
    for begin, end in zip(starts, [*starts[1:], len(text)]):
        yield line, text[begin:end]
        line += text.count("\n", begin, end)


def _parse(ctx: Context, text: str) -> ET.Element:
    # The DOCTYPE names the DTD; expat does not fetch it, and the USPTO writes characters as numeric references.
    try:
        return ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        ctx.at(ctx._origin[0], ctx._origin[1] + exc.position[0] - 1)
        raise ctx.fail(f"not well-formed XML ({exc}); expected a us-patent-grant document") from exc


def _text(el: ET.Element | None, path: str) -> str:
    found = el.find(path) if el is not None else None
    return clean_name("".join(found.itertext())) if found is not None else ""


def _date(value: str) -> str | None:
    """A grant XML date (``20130416``) as ISO; None when blank or not a day (``20000600`` in citations)."""
    try:
        return iso_date(f"{value[:4]}-{value[4:6]}-{value[6:8]}") if len(value) == 8 else None
    except ValueError:
        return None


def _symbols(biblio: ET.Element, tag: str) -> list[str]:
    out = []
    for el in biblio.iter(tag):
        parts = [_text(el, p) for p in ("section", "class", "subclass", "main-group", "subgroup")]
        if all(parts[:4]):
            out.append(symbol(*parts))
    return list(dict.fromkeys(out))


def _grant(ctx: Context, root: ET.Element, table: CpcTable, assignees: dict[str, str]) -> None:
    biblio = root.find("us-bibliographic-data-grant")
    if biblio is None:
        raise ctx.fail("<us-patent-grant> lacks <us-bibliographic-data-grant>; expected the v4.x grant layout")
    doc = biblio.find("publication-reference/document-id")
    number = number_of(_text(doc, "doc-number")) if doc is not None else None
    if number is None:
        raise ctx.fail("a grant without a readable publication-reference/document-id/doc-number")
    title = _text(biblio, "invention-title")
    if not title:
        ctx.report.warnings.append(f"{ctx._origin[0]}:{ctx._origin[1]}: US{number} has no invention-title")
    application = biblio.find("application-reference")
    kind = application.get("appl-type") if application is not None else None
    cpc = _symbols(biblio, "classification-cpc")
    ipc = _symbols(biblio, "classification-ipcr")
    holders = _assignees(ctx, biblio, assignees)
    node_id = patent_node_id(number)
    ctx.node(
        "Patent",
        node_id,
        f"US{number}: {title}" if title else f"US{number}",
        number=f"US{number}",
        title=title or None,
        kind=kind if kind in KINDS else None,
        granted=_date(_text(doc, "date")),
        filed=_date(_text(application, "document-id/date")),
        cpc=cpc or None,
        ipc=ipc or None,
        assignee=holders[0][1] if holders else None,
        xrefs=[f"uspto:{number}"],
    )
    for seq, (holder, _) in enumerate(holders):
        ctx.edge("HOLDS", holder, node_id, id=f"uspto-holds-{number}-{seq}", sequence=seq)
    basis, symbols = ("CPC", cpc) if cpc else ("IPC", ipc)
    for tech, prefix, source in table.technologies(symbols):
        ctx.edge("COVERS", node_id, tech, id=f"uspto-covers-{number}-{tech}", cpc=prefix, basis=basis, sources=[source])


def _assignees(ctx: Context, biblio: ET.Element, seen: dict[str, str]) -> list[tuple[str, str]]:
    """(node id, name) of each assignee, emitting each party once per load."""
    out = []
    for assignee in biblio.iter("assignee"):
        book = assignee.find("addressbook")
        if book is None:
            book = assignee
        org = _text(book, "orgname")
        person = " ".join(p for p in (_text(book, "first-name"), _text(book, "last-name")) if p)
        name = org or person
        if not name:
            ctx.skip("an assignee with neither orgname nor first-name/last-name")
            continue
        country = country_code(_text(book, "address/country"))
        node_id = ctx.make_id("assignee", name.casefold(), country or "")
        if node_id not in seen:
            seen[node_id] = name
            label = "Company" if org else "Person"
            ctx.node(label, node_id, name, country=country, **({"countries": [country]} if country else {}))
        out.append((node_id, name))
    return out
