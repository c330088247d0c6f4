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
``TECHGEO_QUERY_MEMORY_MB``  memory cap of the process that runs one    ``2048``
                       console query; past it the query is stopped
``TECHGEO_CELL_CHARS`` longest text (or list) a result cell keeps;     ``100000``
                       longer ones are cut, and the result says so
``TECHGEO_RESULT_MB``  most data one query returns, in MB; past it     ``64``
                       the rows are cut, and the result says so
``TECHGEO_QUERY_WORKERS``  console queries that may run at once       ``4``
``TECHGEO_LINK_TIMEOUT``  time limit of a query a link runs on        ``10``
                       opening (``/console?q=…&run=1``), seconds
``TECHGEO_LINK_ROW_CAP``  row cap of a query a link runs on opening   ``1000``
``TECHGEO_RESOLVE_AUTO``   matcher score (0–1) at and above which the  ``0.92``
                       build merges two records automatically
``TECHGEO_RESOLVE_REVIEW`` score from which a pair below the auto     ``0.6``
                       threshold goes to the review queue
``TECHGEO_MATCH_THRESHOLD`` score at which ``match`` and screening    ``0.7``
                       call two names a match
``TECHGEO_RESOLUTIONS``  the judgements file (same/different)        ``data/resolutions.yaml``
``TECHGEO_READ_ONLY``  ``1``: the app records no judgement (Matches     ``0``
                       page read-only), for a shared or public server
=====================  ==============================================  =========================

A value that does not parse stops the command with a :class:`GraphError` that
names the variable, rather than falling back to the default unseen.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
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


def fraction(text: str) -> float:
    """A score threshold: a number from 0 to 1, or ValueError saying what is wrong."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number from 0 to 1, e.g. 0.9") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{text!r} is not a score: give a number from 0 to 1, e.g. 0.9")
    return value


def flag(text: str) -> bool:
    """On or off: 1/true/yes/on or 0/false/no/off, or ValueError saying what is wrong."""
    value = text.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{text!r} is not on or off: give 1 or 0")


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
class QueryLimits:
    """The guard rails of an untrusted (console, linked or command-line) query."""

    timeout: float = 30.0
    row_cap: int = 5000
    memory_mb: int = 2048
    cell_chars: int = 100_000
    result_mb: int = 64
    workers: int = 4

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb << 20

    @property
    def result_bytes(self) -> int:
        return self.result_mb << 20

    def as_dict(self) -> dict[str, float | int]:
        return dict(self.__dict__)

    def for_links(self, timeout: float, row_cap: int) -> QueryLimits:
        """These limits lowered for a query that a link runs without a click."""
        return replace(self, timeout=min(self.timeout, timeout), row_cap=min(self.row_cap, row_cap))


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
    query_memory_mb: int = 2048
    cell_chars: int = 100_000
    result_mb: int = 64
    query_workers: int = 4
    link_timeout: float = 10.0
    link_row_cap: int = 1000
    resolve_auto: float = 0.92
    resolve_review: float = 0.6
    match_threshold: float = 0.7
    resolutions_path: Path = field(default=DATA_DIR / "resolutions.yaml")
    read_only: bool = False

    @property
    def limits(self) -> QueryLimits:
        """The guard rails of console and command-line queries."""
        return QueryLimits(
            self.query_timeout, self.row_cap, self.query_memory_mb, self.cell_chars, self.result_mb, self.query_workers
        )

    @property
    def link_limits(self) -> QueryLimits:
        """The lower guard rails of a query that a link runs on opening."""
        return self.limits.for_links(self.link_timeout, self.link_row_cap)


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
        "query_memory_mb": _env("TECHGEO_QUERY_MEMORY_MB", positive_int, 2048),
        "cell_chars": _env("TECHGEO_CELL_CHARS", positive_int, 100_000),
        "result_mb": _env("TECHGEO_RESULT_MB", positive_int, 64),
        "query_workers": _env("TECHGEO_QUERY_WORKERS", positive_int, 4),
        "link_timeout": _env("TECHGEO_LINK_TIMEOUT", positive_seconds, 10.0),
        "link_row_cap": _env("TECHGEO_LINK_ROW_CAP", positive_int, 1000),
        "resolve_auto": _env("TECHGEO_RESOLVE_AUTO", fraction, 0.92),
        "resolve_review": _env("TECHGEO_RESOLVE_REVIEW", fraction, 0.6),
        "match_threshold": _env("TECHGEO_MATCH_THRESHOLD", fraction, 0.7),
        "resolutions_path": Path(os.environ.get("TECHGEO_RESOLUTIONS") or DATA_DIR / "resolutions.yaml"),
        "read_only": _env("TECHGEO_READ_ONLY", flag, False),
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    if isinstance(values["store_path"], str):
        values["store_path"] = Path(values["store_path"])
    if values["resolve_review"] > values["resolve_auto"]:  # type: ignore[operator]
        raise GraphError(
            f"TECHGEO_RESOLVE_REVIEW ({values['resolve_review']}) is above TECHGEO_RESOLVE_AUTO "
            f"({values['resolve_auto']}): the review band would be empty; fix or unset them"
        )
    return Settings(**values)  # type: ignore[arg-type]
