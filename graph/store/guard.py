"""What a console query may do, decided from what the store itself parsed and planned.

A query typed in the console or opened from a link is untrusted. It passes
three fences, and the last one decides:

1. :func:`first_fence`, on the text, only to give a friendly message early:
   a write keyword outside strings and comments, or a word that reaches
   outside the graph anywhere in the text (even inside a string or a
   comment, so no disagreement between this reading and the engine's lexer
   can hide one). Text that needs such a word goes in a parameter.
2. The plan. The store plans the query (``EXPLAIN``) and every operator,
   procedure and table function in the plan must be on an allowlist of
   reads: :func:`check_neo4j_plan` and :func:`check_ladybug_plan`. A plan
   that writes, loads a file (``LoadCSV``, ``READ_CSV_*``), calls a
   procedure outside the list (``dbms.*``, ``db.stats.*``), shows server
   state (``SHOW TRANSACTIONS``) or changes the session is refused, however
   the text was spelled.
3. The run itself: a read transaction on Neo4j, a read-only database on the
   embedded store, in a worker process with a memory cap and a wall-clock
   kill (:mod:`graph.store.worker`).

>>> first_fence("MATCH (n) WHERE n.name = 'SET' RETURN n")
>>> first_fence("MATCH (n) // x\\rLOAD CSV FROM 'file:///etc/passwd' AS l RETURN l")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
graph.errors.WriteRefused: refused: the console is read-only and 'LOAD' reaches outside the graph (files, URLs or extensions)...
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from graph.errors import WriteRefused

# Words that reach outside the graph: files, URLs, extensions, other databases. Refused wherever they
# appear in the text, strings and comments included; text that contains one goes in a parameter.
_OUTSIDE = re.compile(r"(?<![\w$])(LOAD|COPY|INSTALL|UNINSTALL|ATTACH|READ_\w+|FILE_INFO|PERIODIC)(?!\w)", re.I)
# Clauses that write or change the session: refused early when they appear as code.
_WRITES = re.compile(
    r"(?<![.$\w])(CREATE|MERGE|DELETE|DETACH|SET|REMOVE|DROP|ALTER|FOREACH|TERMINATE|IMPORT|EXPORT|USE|"
    r"CHECKPOINT|BEGIN|COMMIT|ROLLBACK|GRANT|REVOKE|DENY|START|STOP)(?!\w)",
    re.I,
)
# Cypher ends a line comment at any line terminator, not only at \n.
_LINE_END = "\n\r\u000b\u000c\u0085\u2028\u2029"
_CODE_NOT_TEXT = re.compile(
    r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|`[^`]*`|//[^" + _LINE_END + r"]*|/\*.*?\*/", re.DOTALL
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ADVICE = "put text that contains it in a parameter ($name) instead"


def first_fence(cypher: str) -> None:
    """Refuse early, with a friendly message, a query text that writes or reaches outside the graph.

    This is not what keeps the store safe (the plan check is); it saves a
    round trip and names the word. Raises :class:`WriteRefused`.
    """
    m = _OUTSIDE.search(cypher)
    if m:
        raise WriteRefused(
            f"refused: the console is read-only and '{m.group(1).upper()}' reaches outside the graph "
            f"(files, URLs or extensions), even inside a string or a comment; {_ADVICE}"
        )
    m = _WRITES.search(_CODE_NOT_TEXT.sub(" ", cypher))
    if m:
        raise WriteRefused(
            f"refused: the console is read-only and '{m.group(1).upper()}' would change data or the session; "
            "use `python -m graph import` to add data"
        )


def _refuse(what: str) -> WriteRefused:
    return WriteRefused(f"refused: the console is read-only and the query plan {what}")


# -- Neo4j ------------------------------------------------------------------------------------

# Read operators of Neo4j 5.26's planner (Community and Enterprise runtimes), by operatorType without
# its "@neo4j" suffix. Anything else (Create, Merge, SetProperty, Delete, LoadCSV, ProcedureCall of a
# procedure outside the list, Show*/Terminate* commands, TransactionApply, Foreach, …) is refused.
NEO4J_READ_OPERATORS = _words(
    """
    ProduceResults EmptyResult Argument ArgumentTracker Projection Filter Limit Skip ExhaustiveLimit
    Distinct OrderedDistinct Aggregation EagerAggregation OrderedAggregation Sort PartialSort Top PartialTop
    Top1WithTies Unwind Optional Apply SemiApply AntiSemiApply LetSemiApply LetAntiSemiApply SelectOrSemiApply
    SelectOrAntiSemiApply LetSelectOrSemiApply LetSelectOrAntiSemiApply RollUpApply ConditionalApply
    AntiConditionalApply CartesianProduct NodeHashJoin ValueHashJoin NodeLeftOuterHashJoin NodeRightOuterHashJoin
    Union OrderedUnion AllNodesScan NodeByLabelScan NodeByIdSeek NodeByElementIdSeek UnionNodeByLabelsScan
    IntersectionNodeByLabelsScan SubtractionNodeByLabelsScan PartitionedAllNodesScan PartitionedNodeByLabelScan
    NodeIndexSeek NodeUniqueIndexSeek MultiNodeIndexSeek NodeIndexScan NodeIndexContainsScan
    NodeIndexEndsWithScan NodeIndexSeekByRange NodeUniqueIndexSeekByRange AssertingMultiNodeIndexSeek
    DirectedRelationshipTypeScan UndirectedRelationshipTypeScan DirectedAllRelationshipsScan
    UndirectedAllRelationshipsScan DirectedUnionRelationshipTypesScan UndirectedUnionRelationshipTypesScan
    DirectedRelationshipByIdSeek UndirectedRelationshipByIdSeek
    DirectedRelationshipByElementIdSeek UndirectedRelationshipByElementIdSeek DirectedRelationshipIndexSeek
    UndirectedRelationshipIndexSeek DirectedRelationshipIndexScan UndirectedRelationshipIndexScan
    DirectedRelationshipIndexContainsScan UndirectedRelationshipIndexContainsScan
    DirectedRelationshipIndexEndsWithScan UndirectedRelationshipIndexEndsWithScan
    DirectedRelationshipIndexSeekByRange UndirectedRelationshipIndexSeekByRange
    DirectedRelationshipUniqueIndexSeek UndirectedRelationshipUniqueIndexSeek
    Expand(All) Expand(Into) OptionalExpand(All) OptionalExpand(Into) VarLengthExpand(All) VarLengthExpand(Into)
    VarLengthExpand(Pruning) VarLengthExpand(Pruning,BFS) BFSPruningVarExpand ShortestPath StatefulShortestPath(All)
    StatefulShortestPath(Into) Repeat(Trail) Repeat(Walk) Trail NullifyMetadata ProjectEndpoints TriadicSelection
    TriadicBuild TriadicFilter CacheProperties NodeCountFromCountStore RelationshipCountFromCountStore
    AssertSameNode AssertSameRelationship Eager ProcedureCall
    """
)
# Read-only procedures that describe the schema. Everything else, db.stats.* and dbms.* included, is refused.
NEO4J_READ_PROCEDURES = frozenset(
    {
        "db.labels",
        "db.relationshipTypes",
        "db.propertyKeys",
        "db.schema.visualization",
        "db.schema.nodeTypeProperties",
        "db.schema.relTypeProperties",
    }
)
# Words the planner writes before a parenthesis in operator details that are not functions a user
# called: its own helpers (``getDegree`` for COUNT { } and EXISTS { }, ``RuntimeConstant``) and keywords.
_NEO4J_PLANNER_WORDS = _words(
    """
    getdegree hasdegree hasdegreegreaterthan hasdegreegreaterthanorequal hasdegreelessthan hasdegreelessthanorequal
    runtimeconstant coercetopredicate coercetolist assertisnode cachenfromstore cacherfromstore
    and or xor not in is as when then else case where with distinct exists count collect
    """
)
_QUOTED_NAME = re.compile(r"`[^`]*`")
_CALL_IN_DETAILS = re.compile(r"(?<![\w.$`:])([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*\(")


def neo4j_operators(plan: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    """(operator type, details) of every operator in a driver plan, depth first."""
    yield str(plan.get("operatorType", "")).split("@")[0], str((plan.get("args") or {}).get("Details") or "")
    for child in plan.get("children") or []:
        yield from neo4j_operators(child)


def check_neo4j_plan(plan: Mapping[str, Any], query_type: str | None, functions: frozenset[str]) -> None:
    """Refuse a Neo4j plan unless every operator, procedure and function in it reads.

    ``plan`` is ``ResultSummary.plan`` of an ``EXPLAIN``; ``functions`` are the
    lower-cased names of the server's built-in functions (``SHOW FUNCTIONS``),
    the only functions a console query may call: a user-defined function
    (APOC's file and URL loaders, say) is refused.
    """
    if query_type not in ("r", None):
        what = "is a schema or system command" if query_type == "s" else "would change data"
        raise _refuse(f"{what} (query type '{query_type}')")
    for op, details in neo4j_operators(plan):
        if op not in NEO4J_READ_OPERATORS:
            raise _refuse(f"uses the operator {op}, which is not a read (loads files, writes or runs a command)")
        if op == "ProcedureCall":
            name = details.split("(", 1)[0].strip()
            if name not in NEO4J_READ_PROCEDURES:
                raise _refuse(
                    f"calls the procedure {name}, which is not on the console's list "
                    f"({', '.join(sorted(NEO4J_READ_PROCEDURES))})"
                )
            continue
        for called in _CALL_IN_DETAILS.findall(_QUOTED_NAME.sub(" ", details)):
            name = called.lower()
            if name not in functions and name not in _NEO4J_PLANNER_WORDS:
                raise _refuse(f"calls the function {called}, which is not a built-in function of the server")


# -- LadybugDB ----------------------------------------------------------------------------------

# Read operators of LadybugDB 0.22's physical plans, as EXPLAIN prints them.
LADYBUG_READ_OPERATORS = _words(
    """
    RESULT_COLLECTOR PROJECTION FILTER FLATTEN SCAN_NODE_TABLE PRIMARY_KEY_SCAN_NODE_TABLE SCAN_REL_TABLE
    OFFSET_SCAN_NODE_TABLE HASH_JOIN_BUILD HASH_JOIN_PROBE INTERSECT_BUILD INTERSECT CROSS_PRODUCT AGGREGATE
    AGGREGATE_FINALIZE AGGREGATE_SCAN ORDER_BY ORDER_BY_MERGE ORDER_BY_SCAN TOP_K TOP_K_SCAN LIMIT SKIP
    MULTIPLICITY_REDUCER UNWIND UNION_ALL_SCAN SEMI_MASKER PATH_PROPERTY_PROBE RECURSIVE_EXTEND DUMMY_SINK
    DUMMY_SIMPLE_SINK EMPTY_RESULT TABLE_FUNCTION_CALL FACTORIZED_TABLE_SCAN INDEX_LOOKUP QUERY_PRIMARY_KEY_LOOKUP
    """
)
# Table functions a console query may call: LadybugDB's own intermediate results and schema listings.
# The file readers (READ_CSV_*, READ_PARQUET, READ_NPY, READ_PANDAS), FILE_INFO, storage and
# projected-graph functions are not here.
LADYBUG_TABLE_FUNCTIONS = frozenset({"READ_FTABLE", "SHOW_TABLES", "TABLE_INFO", "SHOW_CONNECTION", "SHOW_INDEXES"})
_LADYBUG_OPERATOR = re.compile(r"│\s+([A-Z][A-Z_]*)\[\d+\]\s+│")
_LADYBUG_FUNCTION = re.compile(r"Function:\s+(\w+)")


def check_ladybug_plan(plan: str) -> None:
    """Refuse a LadybugDB physical plan (the text ``EXPLAIN`` returns) unless every operator and table
    function in it reads."""
    operators = _LADYBUG_OPERATOR.findall(plan)
    if not operators:
        raise _refuse("could not be read, so the query is not run")
    for op in operators:
        if op not in LADYBUG_READ_OPERATORS:
            raise _refuse(f"uses the operator {op}, which is not a read (writes, loads or changes the session)")
    for fn in _LADYBUG_FUNCTION.findall(plan):
        if fn.upper() not in LADYBUG_TABLE_FUNCTIONS:
            raise _refuse(f"calls the table function {fn}, which is not on the console's list")
