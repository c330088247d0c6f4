"""Storyboards: saved views in order, for a briefing, kept as JSON files that can be shared.

A view is saved with its positions frozen, its as-of date, its title and note
and the parameters that made it (``View.params``), so the same picture
appears tomorrow and the view can be remade or linked. A storyboard file is
written whole or not at all.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from graph.errors import GraphError
from graph.export import export
from graph.render import View, to_html

VERSION = 1


@dataclass
class Storyboard:
    folder: Path
    name: str
    views: list[View] = field(default_factory=list)

    @staticmethod
    def clean_name(text: str) -> str:
        """A storyboard name safe as a file name: letters, digits, dashes and underscores."""
        name = re.sub(r"[^A-Za-z0-9_-]+", "-", text.strip()).strip("-")
        if not name:
            raise GraphError(f"{text!r} cannot name a storyboard: use letters, digits, dashes or underscores")
        return name[:80]

    @property
    def path(self) -> Path:
        return self.folder / f"{self.clean_name(self.name)}.json"

    @classmethod
    def load_or_new(cls, folder: Path, name: str) -> Storyboard:
        """The storyboard saved under ``name`` in ``folder``, or a new empty one."""
        board = cls(Path(folder), cls.clean_name(name))
        if board.path.exists():
            try:
                doc = json.loads(board.path.read_text(encoding="utf-8"))
                board.views = [View.from_dict(v) for v in doc["views"]]
            except (ValueError, KeyError, TypeError) as exc:
                raise GraphError(f"{board.path} is not a storyboard file ({exc}); move it aside to start anew") from exc
        return board

    def add(self, view: View) -> None:
        self.views.append(View.from_dict(view.freeze().to_dict()))

    def move(self, index: int, step: int) -> None:
        j = index + step
        if 0 <= index < len(self.views) and 0 <= j < len(self.views):
            self.views[index], self.views[j] = self.views[j], self.views[index]

    def remove(self, index: int) -> None:
        if 0 <= index < len(self.views):
            del self.views[index]

    def save(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        doc = {"version": VERSION, "name": self.name, "views": [v.to_dict() for v in self.views]}
        tmp = self.path.with_name(f".{self.path.name}.part")
        tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        tmp.replace(self.path)
        return self.path

    def html(self, index: int | None = None) -> str:
        """The storyboard (or one view of it) as one standalone, offline HTML page in briefing mode."""
        return to_html(self.views if index is None else [self.views[index]], present=True)

    def export_bytes(self, fmt: str, index: int | None = None) -> bytes:
        """The storyboard (or one view) as ``html``, ``png``, ``zip`` (a PNG per view) or ``pdf`` bytes;
        a PDF is titled with the storyboard's name, or the view's title for one view."""
        views = self.views if index is None else [self.views[index]]
        title = self.name if index is None and len(views) > 1 else views[0].title
        with tempfile.TemporaryDirectory() as d:
            out = export(views, Path(d) / f"board.{fmt}", title=title)
            return out.read_bytes()


def list_storyboards(folder: Path) -> list[str]:
    """The names of the storyboards saved in ``folder``."""
    return sorted(p.stem for p in Path(folder).glob("*.json")) if Path(folder).exists() else []
