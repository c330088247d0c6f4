"""The schema, loaded from ``schema.yaml``: the single source of truth.

From this one declaration come the LadybugDB DDL (:meth:`Schema.ladybug_ddl`),
the Neo4j constraints and indexes (:meth:`Schema.neo4j_ddl`), the validation
of every record (:meth:`Schema.check_node`, :meth:`Schema.check_edge`) and the
styles of the pictures (:meth:`Schema.style`).

>>> s = load_schema()
>>> s.labels["Company"].properties["country"].type
'string'
>>> s.check_edge({"id": "x", "type": "OWNS", "share": 120, "sources": ["s"]}, "Company", "Company")[1]
['share: 120 is above the maximum 100']
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

from graph.errors import SchemaError

SCHEMA_FILE = Path(__file__).with_name("schema.yaml")
# In Neo4j every node also carries this label, whose one uniqueness constraint makes an id unique
# across labels in the database itself. It is never an entity's label, and no schema label may take it.
ENTITY = "Entity"
TYPES = ("string", "string[]", "int", "float", "bool", "date")
_LADYBUG_TYPES = {
    "string": "STRING",
    "string[]": "STRING[]",
    "int": "INT64",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "date": "DATE",
}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LABEL_NAME = re.compile(r"^[A-Z][A-Za-z]*$")
_TYPE_NAME = re.compile(r"^[A-Z][A-Z_]*$")
_PROP_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# The range of "int" properties: both stores hold them as 64-bit integers (INT64, Neo4j's Long).
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_MAX_FLOAT = f"{sys.float_info.max:g}"
# Keys of an edge record that describe its shape rather than its properties.
EDGE_SHAPE_KEYS = ("start", "end", "type")


@dataclass(frozen=True)
class PropertySpec:
    """One property: its type and constraints."""

    name: str
    type: str
    required: bool = False
    key: bool = False
    min: float | None = None
    max: float | None = None
    enum: tuple[str, ...] | None = None
    doc: str = ""

    def check(self, value: Any) -> tuple[Any, str | None]:
        """Return ``(normalised value, problem or None)``; dates become ``datetime.date``."""
        if value is None:
            return None, (f"{self.name} is required" if self.required else None)
        t = self.type
        if t == "string":
            if not isinstance(value, str):
                return value, f"{self.name}: expected text, got {type(value).__name__}"
            if self.required and not value.strip():
                return value, f"{self.name} is required and must not be blank"
            if self.enum and value not in self.enum:
                return value, f"{self.name}: {value!r} is not one of {', '.join(self.enum)}"
            return value, None
        if t == "string[]":
            if type(value) is not list or not all(type(v) is str for v in value):
                return value, f"{self.name}: expected a list of text"
            if self.required and not value:
                return value, f"{self.name} must not be empty"
            return value, None
        if t == "bool":
            if not isinstance(value, bool):
                return value, f"{self.name}: expected true or false, got {value!r}"
            return value, None
        if t == "date":
            return parse_date(value, self.name)
        # int and float
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return value, f"{self.name}: expected a number, got {value!r}"
        # JSON parsers accept NaN, Infinity and 1e400 (which becomes inf); no property can hold them,
        # and NaN compares false with every bound, so it would pass the range checks below.
        if isinstance(value, float) and not math.isfinite(value):
            return value, f"{self.name}: expected a finite number, got {value!r}"
        if t == "int":
            if isinstance(value, float):
                if not value.is_integer():
                    return value, f"{self.name}: expected a whole number, got {value!r}"
                value = int(value)
            if not INT64_MIN <= value <= INT64_MAX:
                return value, (
                    f"{self.name}: {value} is outside the range of a 64-bit integer, {INT64_MIN} to {INT64_MAX}"
                )
        else:
            try:
                value = float(value)
            except OverflowError:  # a JSON integer literal of over 308 digits
                digits = int(abs(value).bit_length() * math.log10(2)) + 1
                return value, f"{self.name}: a number of about {digits} digits is above the largest float, {_MAX_FLOAT}"
        if self.min is not None and value < self.min:
            return value, f"{self.name}: {number(value)} is below the minimum {number(self.min)}"
        if self.max is not None and value > self.max:
            return value, f"{self.name}: {number(value)} is above the maximum {number(self.max)}"
        return value, None

    @property
    def ladybug_type(self) -> str:
        return _LADYBUG_TYPES[self.type]


def number(value: float) -> str:
    """A number as short as ``:g`` makes it, but never rounded: ``100.0001`` stays ``100.0001``.

    Range messages compare a value with its bound, so both must show every digit that differs.

    >>> number(150.0), number(100.0001), number(100.00000000001), number(2101)
    ('150', '100.0001', '100.00000000001', '2101')
    """
    if isinstance(value, int):
        return str(value)
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def parse_date(value: Any, name: str = "date") -> tuple[Any, str | None]:
    """Parse an ISO ``YYYY-MM-DD`` date strictly; return ``(date, problem or None)``."""
    if type(value) is str:
        return _parse_iso(value, name)
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    return value, f"{name}: {value!r} is not a date in the form YYYY-MM-DD"


@lru_cache(maxsize=65536)
def _parse_iso(value: str, name: str) -> tuple[Any, str | None]:
    # Imports repeat the same few thousand dates millions of times.
    if not _ISO_DATE.match(value):
        return value, f"{name}: {value!r} is not a date in the form YYYY-MM-DD"
    try:
        return dt.date.fromisoformat(value), None
    except ValueError as exc:
        return value, f"{name}: {value!r} is not a real date ({exc})"


@dataclass(frozen=True)
class LabelSpec:
    """A node label with its properties and picture style."""

    name: str
    caption: str
    color: str
    shape: str
    doc: str
    properties: dict[str, PropertySpec]
    # A detail record (one patent of 100,000): left out of projections, pictures and search, read on demand.
    detail: bool = False

    required: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "required", tuple(n for n, p in self.properties.items() if p.required))


@dataclass(frozen=True)
class RelSpec:
    """A relationship type, the labels it may join, and its properties."""

    name: str
    from_labels: tuple[str, ...]
    to_labels: tuple[str, ...]
    sentence: str
    doc: str
    properties: dict[str, PropertySpec]
    timeless: bool = False  # says what a thing is or where it sits: an undated one is not "date unknown"
    substantive: bool = False  # carries substance on an influence path (ranks before placing types)

    required: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "required", tuple(n for n, p in self.properties.items() if p.required))

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """Every allowed (start label, end label) pair."""
        return [(a, b) for a in self.from_labels for b in self.to_labels]

    @cached_property
    def pair_set(self) -> frozenset[tuple[str, str]]:
        return frozenset(self.pairs)


@dataclass(frozen=True)
class Schema:
    """The parsed schema. Build it with :func:`load_schema`."""

    version: int
    labels: dict[str, LabelSpec]
    relationships: dict[str, RelSpec]
    _extra: dict[str, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def shown_labels(self) -> tuple[str, ...]:
        """The labels that projections, pictures and search read: every label but the detail ones."""
        return tuple(n for n, spec in self.labels.items() if not spec.detail)

    @cached_property
    def detail_labels(self) -> tuple[str, ...]:
        return tuple(n for n, spec in self.labels.items() if spec.detail)

    def shown_ends(self, rel_type: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """The start and end labels of ``rel_type`` less the detail labels, where it joins one (``HOLDS``
        joins a holder to a ``Patent`` or a ``Portfolio``: ``(("Company", "Person"), ("Portfolio",))``);
        None where it joins none, and nothing needs leaving out. An end may come back empty: then every
        relationship of the type touches a detail record."""
        rel = self.relationships[rel_type]
        starts = tuple(x for x in rel.from_labels if not self.labels[x].detail)
        ends = tuple(x for x in rel.to_labels if not self.labels[x].detail)
        return None if (starts, ends) == (rel.from_labels, rel.to_labels) else (starts, ends)

    # -- validation -------------------------------------------------------
    def check_node(self, record: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Validate a node record (with a ``label`` key); return (normalised properties, problems)."""
        values = {k: v for k, v in record.items() if k != "label"}
        return self.check_node_props(record.get("label"), values)

    def check_node_props(self, label: Any, values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Like :meth:`check_node`, for a label and a property dict given apart."""
        spec = self.labels.get(label) if isinstance(label, str) else None
        if spec is None:
            return {}, [f"unknown label {label!r}; known labels: {', '.join(self.labels)}"]
        return _check_properties(spec.properties, spec.required, values, f"label {label}")

    def check_edge(
        self, record: dict[str, Any], start_label: str | None, end_label: str | None
    ) -> tuple[dict[str, Any], list[str]]:
        """Validate an edge record's properties and, when known, its end labels."""
        values = {k: v for k, v in record.items() if k not in EDGE_SHAPE_KEYS}
        return self.check_edge_props(record.get("type"), values, start_label, end_label)

    def check_edge_props(
        self, rel_type: Any, values: dict[str, Any], start_label: str | None, end_label: str | None
    ) -> tuple[dict[str, Any], list[str]]:
        """Like :meth:`check_edge`, for a type and a property dict given apart."""
        spec = self.relationships.get(rel_type) if isinstance(rel_type, str) else None
        if spec is None:
            return {}, [f"unknown relationship type {rel_type!r}; known types: {', '.join(self.relationships)}"]
        props, problems = _check_properties(spec.properties, spec.required, values, f"type {rel_type}")
        if start_label is not None and end_label is not None and (start_label, end_label) not in spec.pair_set:
            problems.append(
                f"{rel_type} cannot join {start_label} to {end_label}; it joins "
                f"{'/'.join(spec.from_labels)} to {'/'.join(spec.to_labels)}"
            )
        vf, vt = props.get("valid_from"), props.get("valid_to")
        if isinstance(vf, dt.date) and isinstance(vt, dt.date) and vt < vf:
            problems.append(f"valid_to {vt} is before valid_from {vf}")
        return props, problems

    # -- derived DDL --------------------------------------------------------
    def ladybug_ddl(self) -> list[str]:
        """CREATE statements for every node and relationship table in LadybugDB."""
        out = []
        for spec in self.labels.values():
            cols = ", ".join(
                f"{p.name} {p.ladybug_type}{' PRIMARY KEY' if p.key else ''}" for p in spec.properties.values()
            )
            out.append(f"CREATE NODE TABLE IF NOT EXISTS {spec.name}({cols})")
        for rel in self.relationships.values():
            pairs = ", ".join(f"FROM {a} TO {b}" for a, b in rel.pairs)
            cols = ", ".join(f"{p.name} {p.ladybug_type}" for p in rel.properties.values())
            out.append(f"CREATE REL TABLE IF NOT EXISTS {rel.name}({pairs}, {cols})")
        return out

    def neo4j_ddl(self) -> list[str]:
        """Constraints and indexes in Neo4j: a unique key per label, an index per relationship id,
        and ids unique across labels through the shared label :data:`ENTITY`."""
        out = [f"CREATE CONSTRAINT {ENTITY.lower()}_id IF NOT EXISTS FOR (n:{ENTITY}) REQUIRE n.id IS UNIQUE"]
        for spec in self.labels.values():
            out.append(
                f"CREATE CONSTRAINT {spec.name.lower()}_id IF NOT EXISTS FOR (n:{spec.name}) REQUIRE n.id IS UNIQUE"
            )
            if "name" in spec.properties:
                out.append(f"CREATE INDEX {spec.name.lower()}_name IF NOT EXISTS FOR (n:{spec.name}) ON (n.name)")
        for rel in self.relationships.values():
            out.append(f"CREATE INDEX {rel.name.lower()}_id IF NOT EXISTS FOR ()-[r:{rel.name}]-() ON (r.id)")
        return out

    def match_by_id(self, label: str, var: str = "n") -> str:
        """``MATCH (n:Label) WHERE n.id = $id``: label names come from the schema, never from input."""
        if label not in self.labels:
            raise SchemaError(f"unknown label {label!r}")
        return "MATCH (" + var + ":" + label + ") WHERE " + var + ".id = $id"

    # -- pictures -----------------------------------------------------------
    def style(self, label: str) -> dict[str, str]:
        """Colour, shape and caption property of a label, for pictures and legends."""
        spec = self.labels[label]
        return {"color": spec.color, "shape": spec.shape, "caption": spec.caption}

    def legend(self) -> list[dict[str, str]]:
        """One entry per label, in declaration order."""
        return [{"label": name, **self.style(name)} for name in self.labels]


def _check_properties(
    specs: dict[str, PropertySpec], required: tuple[str, ...], values: dict[str, Any], where: str
) -> tuple[dict[str, Any], list[str]]:
    """Check the given values, and that required properties are present.

    Only the keys present are visited (an import has millions of records and
    most properties are absent); absent optional properties stay absent.
    """
    problems: list[str] = []
    out: dict[str, Any] = {}
    for name, value in values.items():
        spec = specs.get(name)
        if spec is None:
            problems.append(f"unknown property {name!r} for {where}")
            continue
        if value is None:
            if spec.required:
                problems.append(f"{name} is required")
            continue
        if spec.type == "string" and type(value) is str and value and not value.isspace() and spec.enum is None:
            out[name] = value  # the common case, without the general checks
            continue
        value, problem = spec.check(value)
        if problem:
            problems.append(problem)
        out[name] = value
    for name in required:
        if name not in values:
            problems.append(f"{name} is required")
    return out, problems


def _property(name: str, raw: dict[str, Any], where: str) -> PropertySpec:
    if not _PROP_NAME.match(name):
        raise SchemaError(f"{where}: property name {name!r} must be lower_snake_case")
    unknown = set(raw) - {"type", "required", "key", "min", "max", "enum", "doc"}
    if unknown or raw.get("type") not in TYPES:
        raise SchemaError(f"{where}.{name}: bad declaration {raw!r}; type must be one of {TYPES}")
    enum = raw.get("enum")
    return PropertySpec(
        name=name,
        type=raw["type"],
        required=bool(raw.get("required", False)),
        key=bool(raw.get("key", False)),
        min=raw.get("min"),
        max=raw.get("max"),
        enum=tuple(enum) if enum else None,
        doc=raw.get("doc", ""),
    )


def parse_schema(raw: dict[str, Any]) -> Schema:
    """Build a :class:`Schema` from its YAML structure, checking it is consistent."""
    node_common = {n: _property(n, p, "node_properties") for n, p in raw["node_properties"].items()}
    rel_common = {n: _property(n, p, "relationship_properties") for n, p in raw["relationship_properties"].items()}
    labels: dict[str, LabelSpec] = {}
    for name, body in raw["labels"].items():
        if not _LABEL_NAME.match(name):
            raise SchemaError(f"label {name!r} must be CamelCase letters")
        if name == ENTITY:
            raise SchemaError(f"label {name!r} is reserved: in Neo4j every node carries it")
        props = dict(node_common)
        for pname, praw in (body.get("properties") or {}).items():
            if pname in props:
                raise SchemaError(f"label {name}: property {pname} repeats a common property")
            props[pname] = _property(pname, praw, f"labels.{name}")
        labels[name] = LabelSpec(
            name, body["caption"], body["color"], body["shape"], body.get("doc", ""), props, bool(body.get("detail"))
        )
    rels: dict[str, RelSpec] = {}
    for name, body in raw["relationships"].items():
        if not _TYPE_NAME.match(name):
            raise SchemaError(f"relationship type {name!r} must be UPPER_SNAKE_CASE")
        for lab in [*body["from"], *body["to"]]:
            if lab not in labels:
                raise SchemaError(f"relationship {name} names unknown label {lab}")
        props = dict(rel_common)
        for pname, praw in (body.get("properties") or {}).items():
            props[pname] = _property(pname, praw, f"relationships.{name}")
        rels[name] = RelSpec(
            name,
            tuple(body["from"]),
            tuple(body["to"]),
            body.get("sentence", ""),
            body.get("doc", ""),
            props,
            bool(body.get("timeless", False)),
            bool(body.get("substantive", False)),
        )
    for must in ("Source",):
        if must not in labels:
            raise SchemaError(f"the schema must declare the {must} label")
    return Schema(int(raw.get("version", 1)), labels, rels)


@cache
def load_schema(path: Path = SCHEMA_FILE) -> Schema:
    """Load and check the schema once per process."""
    with open(path, encoding="utf-8") as fh:
        return parse_schema(yaml.safe_load(fh))


# How a fact's start is known (see the comment above ``relationships`` in schema.yaml).
EXACT, APPROXIMATE, UNKNOWN, TIMELESS = "exact", "approximate", "unknown", "timeless"


def fact_start(props: Any) -> dt.date | None:
    """The first day a fact holds: its ``valid_from``, else 1 January of its ``year``, else None.

    A licence known only as "2023" must not show on a 2020 picture, so a year
    alone starts the fact on that year's first day (marked approximate by
    :func:`fact_dating`).

    >>> fact_start({"year": 2023})
    datetime.date(2023, 1, 1)
    """
    start = props.get("valid_from")
    if start is not None:
        return start
    year = props.get("year")
    return dt.date(int(year), 1, 1) if year is not None else None


def fact_dating(rel_type: str, props: Any) -> str:
    """``exact`` (a valid_from), ``approximate`` (a year only), ``timeless`` (a type that needs no date)
    or ``unknown`` (a fact that starts on some date nobody recorded).

    >>> fact_dating("LICENSES_TO", {"year": 2023}), fact_dating("LISTED_ON", {}), fact_dating("TYPE_OF", {})
    ('approximate', 'unknown', 'timeless')
    """
    if props.get("valid_from") is not None:
        return EXACT
    if props.get("year") is not None:
        return APPROXIMATE
    spec = load_schema().relationships.get(rel_type)
    return TIMELESS if spec is not None and spec.timeless else UNKNOWN


def dating_text(rel_type: str, props: Any) -> str:
    """The start of a fact in words for sentences and tables: "since 2019-05-16", "since about 2023"
    (a year only), "date unknown", or "" for a timeless fact."""
    dating = fact_dating(rel_type, props)
    until = props.get("valid_to")
    end = f" until {_iso(until)}" if until is not None else ""
    if dating == EXACT:
        return f"since {_iso(props['valid_from'])}{end}"
    if dating == APPROXIMATE:
        return f"since about {int(props['year'])}, year only{end}"
    return ("date unknown" + end) if dating == UNKNOWN else end.strip()


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
