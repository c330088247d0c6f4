"""Judgements a person makes about two records: data in ``data/resolutions.yaml``.

The file is a YAML list. Each entry names two source-record ids (the ids the
loaders give, which are stable), a verdict, who decided, when and why::

    - a: huawei
      b: ofac-30947
      verdict: same          # or: different
      by: analyst name
      at: 2026-12-03
      why: the OFAC entry cites Huawei's unified social credit code

Every build applies them before scoring and they always win: ``same`` merges
the two records whatever their scores, ``different`` keeps them apart whatever
evidence joins them. :func:`add_judgement` appends one entry as text, so the
file's comments and other entries stay as they were, checks the result, and
swaps it in atomically.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from graph.errors import JudgementError

VERDICTS = ("same", "different")
FIELDS = ("a", "b", "verdict", "by", "at", "why")
HEADER = """\
# Entity-resolution judgements: which source records are the same party, and which are not.
# Each entry: a, b (source-record ids), verdict (same | different), by, at (YYYY-MM-DD), why.
# The build applies every entry before scoring, and entries always win. Written by
# `python -m graph resolve --accept ID / --reject ID`; hand edits are welcome.
"""


@dataclass(frozen=True, slots=True)
class Judgement:
    """One decision about two records (``a`` and ``b`` are source-record ids)."""

    a: str
    b: str
    verdict: str
    by: str
    at: dt.date
    why: str
    line: int = 0  # where it is in the file, for messages

    @property
    def pair(self) -> tuple[str, str]:
        """The two ids in sorted order: a judgement has no direction."""
        return (self.a, self.b) if self.a <= self.b else (self.b, self.a)


def load_judgements(path: Path) -> list[Judgement]:
    """Every judgement in the file, checked; no file means none. A malformed file is a :class:`JudgementError`."""
    if not path.exists():
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise JudgementError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse_judgements(text, str(path))


def parse_judgements(text: str, where: str) -> list[Judgement]:
    """Judgements from YAML text; ``where`` names the file in messages."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise JudgementError(f"{where}{line}: not valid YAML ({problem})") from None
    if root is None:
        return []
    if not isinstance(root, yaml.SequenceNode):
        raise JudgementError(f"{where}:{root.start_mark.line + 1}: expected a list of judgements (- a: ..., b: ...)")
    out: list[Judgement] = []
    seen: dict[tuple[str, str], int] = {}
    for node in root.value:
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.MappingNode):
            raise JudgementError(f"{where}:{line}: a judgement is a mapping with {', '.join(FIELDS)}")
        try:
            entry = _construct(node)
        except (ValueError, yaml.YAMLError) as exc:
            raise JudgementError(f"{where}:{line}: {exc}") from None
        missing = [f for f in FIELDS if entry.get(f) in (None, "")]
        if missing:
            raise JudgementError(f"{where}:{line}: judgement lacks {', '.join(missing)}")
        unknown = sorted(set(entry) - set(FIELDS))
        if unknown:
            raise JudgementError(f"{where}:{line}: unknown field(s) {', '.join(unknown)}; expected {', '.join(FIELDS)}")
        if entry["verdict"] not in VERDICTS:
            raise JudgementError(f"{where}:{line}: verdict {entry['verdict']!r} is not 'same' or 'different'")
        at = entry["at"]
        if isinstance(at, str):
            try:
                at = dt.date.fromisoformat(at)
            except ValueError:
                raise JudgementError(f"{where}:{line}: at {at!r} is not a date YYYY-MM-DD") from None
        if not isinstance(at, dt.date):
            raise JudgementError(f"{where}:{line}: at {at!r} is not a date YYYY-MM-DD")
        a, b = str(entry["a"]), str(entry["b"])
        if a == b:
            raise JudgementError(f"{where}:{line}: a and b are the same record {a!r}")
        j = Judgement(a, b, entry["verdict"], str(entry["by"]), at, str(entry["why"]), line)
        if j.pair in seen:
            raise JudgementError(f"{where}:{line}: {a} and {b} are judged already at line {seen[j.pair]}")
        seen[j.pair] = line
        out.append(j)
    return out


def _construct(node: yaml.Node) -> dict[str, Any]:
    loader = yaml.SafeLoader("")
    try:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    finally:
        loader.dispose()
    return {str(k): v for k, v in value.items()}


def add_judgement(path: Path, a: str, b: str, verdict: str, by: str, why: str, at: dt.date | None = None) -> Judgement:
    """Append one judgement to the file (created with a header when absent), atomically.

    The existing text is kept byte for byte; the new file is checked as a whole
    before it replaces the old one, so a failed write leaves the old file.
    A pair judged already is a :class:`JudgementError` (edit the entry instead).
    """
    if verdict not in VERDICTS:
        raise JudgementError(f"verdict {verdict!r} is not 'same' or 'different'")
    at = at or dt.date.today()
    old = path.read_text(encoding="utf-8") if path.exists() else HEADER
    load = parse_judgements(old, str(path))  # refuse to append to a broken file
    pair = (a, b) if a <= b else (b, a)
    for j in load:
        if j.pair == pair:
            raise JudgementError(f"{path}:{j.line}: {a} and {b} are judged already ({j.verdict}); edit that entry")
    entry = (
        f"- a: {_quote(a)}\n  b: {_quote(b)}\n  verdict: {verdict}\n  by: {_quote(by)}\n"
        f"  at: {at.isoformat()}\n  why: {_quote(why)}\n"
    )
    new = old + ("" if old.endswith("\n") or not old else "\n") + entry
    parse_judgements(new, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(new)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Judgement(a, b, verdict, by, at, why, new.count("\n", 0, len(old)) + 1)


def _quote(text: str) -> str:
    """A YAML double-quoted scalar: safe for any id, name or reason."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
