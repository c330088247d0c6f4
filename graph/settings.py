"""Every setting the project reads, in one place, with its default.

=====================  ==============================================  =========================
variable               meaning                                         default
=====================  ==============================================  =========================
``TECHGEO_STORE``      path of the embedded LadybugDB store            ``var/graph.lbdb``
``NEO4J_URI``          Bolt URI of a Neo4j server; when set, the       unset (embedded store)
                       commands use Neo4j instead of the embedded file
``NEO4J_USER``         Neo4j user                                      ``neo4j``
``NEO4J_PASSWORD``     Neo4j password                                  empty
``NEO4J_DATABASE``     Neo4j database name                             ``neo4j``
``TECHGEO_RAW_DIRS``   ``:``-separated folders searched, in order,     ``data/raw:../shared/data``
                       for the original source files loaders read
``TECHGEO_QUERY_TIMEOUT``  default read-query time limit, seconds      ``30``
                       (above 0, at most 86400)
``TECHGEO_ROW_CAP``    default maximum rows a read query returns       ``5000``
                       (a whole number, at least 1)
=====================  ==============================================  =========================

A value that does not parse stops the command with a :class:`GraphError` that
names the variable, rather than falling back to the default unseen.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from graph.errors import GraphError

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
CACHE_DIR = ROOT / "var" / "cache"  # derived results (centrality scores), safe to delete


MAX_TIMEOUT = 86_400.0  # a day; far above it the stores' millisecond counters overflow (1e300 s gave a traceback)


def positive_seconds(text: str) -> float:
    """A time limit: a number of seconds above 0 and at most a day, or ValueError saying what is wrong.

    0 would turn the limit off in both stores, and ``nan`` or ``inf`` have no meaning as a limit.
    """
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number of seconds, e.g. 30") from None
    if not math.isfinite(value) or not 0 < value <= MAX_TIMEOUT:
        raise ValueError(
            f"{text!r} is not a time limit: give a number of seconds above 0 and at most {MAX_TIMEOUT:g}, e.g. 30"
        )
    return value


MAX_COUNT = 1_000_000_000  # counts reach numpy (int32 hop budgets) and the stores as machine integers


def positive_int(text: str) -> int:
    """A whole number from 1 to :data:`MAX_COUNT`, or ValueError saying what is wrong."""
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise ValueError(f"{text!r} must be at least 1")
    if value > MAX_COUNT:
        raise ValueError(f"{text!r} is above the largest count, {MAX_COUNT}")
    return value


def _env(name: str, parse: Callable[[str], T], default: T) -> T:
    """A setting from the environment, parsed; a bad value is a GraphError naming the variable."""
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return parse(raw.strip())
    except ValueError as exc:
        raise GraphError(f"{name}: {exc}; fix or unset it") from None


@dataclass(frozen=True)
class Settings:
    """Resolved settings; build one with :func:`load`."""

    store_path: Path
    neo4j_uri: str | None
    neo4j_user: str
    neo4j_password: str
    neo4j_database: str
    raw_dirs: tuple[Path, ...]
    query_timeout: float
    row_cap: int
    data_dir: Path = field(default=DATA_DIR)


def load(**overrides: object) -> Settings:
    """Read the environment, then apply ``overrides`` (from command-line flags)."""
    raw_dirs = os.environ.get("TECHGEO_RAW_DIRS") or f"{DATA_DIR / 'raw'}:{ROOT.parent / 'shared' / 'data'}"
    values: dict[str, object] = {
        "store_path": Path(os.environ.get("TECHGEO_STORE") or ROOT / "var" / "graph.lbdb"),
        "neo4j_uri": os.environ.get("NEO4J_URI") or None,
        "neo4j_user": os.environ.get("NEO4J_USER") or "neo4j",
        "neo4j_password": os.environ.get("NEO4J_PASSWORD") or "",
        "neo4j_database": os.environ.get("NEO4J_DATABASE") or "neo4j",
        "raw_dirs": tuple(Path(p) for p in raw_dirs.split(":") if p),
        "query_timeout": _env("TECHGEO_QUERY_TIMEOUT", positive_seconds, 30.0),
        "row_cap": _env("TECHGEO_ROW_CAP", positive_int, 5000),
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    if isinstance(values["store_path"], str):
        values["store_path"] = Path(values["store_path"])
    return Settings(**values)  # type: ignore[arg-type]
