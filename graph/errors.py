"""The one exception hierarchy of the project.

Every error a person can meet derives from :class:`GraphError` and carries a
message that says what went wrong and what to do about it; the command line
prints that message on one line and exits non-zero.

::

    GraphError
    ├── SchemaError            the schema declaration itself is broken
    ├── ValidationError        records do not fit the schema (file, line, problem)
    ├── LoaderError            a source file has a layout the loader does not know
    │   └── SourceMissing      a source's files are not there (the build skips it; `fetch` brings them)
    ├── StoreError             anything from a store
    │   ├── StoreUnavailable   Neo4j unreachable, store file missing or locked
    │   ├── AuthFailed         bad Neo4j credentials
    │   ├── WriteRefused       a write was sent through the read-only query path
    │   ├── QueryTimeout       a query ran past its time limit and was stopped
    │   ├── QueryTooLarge      a query needed more memory than its cap and was stopped
    │   ├── QueryCrashed       a query crashed the worker process that ran it
    │   └── QueryError         the query text is invalid for the active dialect
    ├── NodeNotFound           no entity with that id, name or alias
    ├── AmbiguousName          a name matches several entities
    ├── NoPath                 no path between two entities under the filters
    └── JudgementError         data/resolutions.yaml is malformed (file, line, problem)
"""

from __future__ import annotations

from dataclasses import dataclass


class GraphError(Exception):
    """Root of every error this project raises on purpose."""


class SchemaError(GraphError):
    """The schema declaration is inconsistent (a bug in graph/schema.yaml)."""


@dataclass(frozen=True)
class Problem:
    """One validation problem, located in its input file and line."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class ValidationError(GraphError):
    """Records do not fit the schema. Nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        first = str(problems[0]) if problems else "invalid input"
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(first + more)


class LoaderError(GraphError):
    """A source file does not have the layout its loader expects."""


class SourceMissing(LoaderError):
    """A source's files are not in any raw-data folder: the build skips the source, naming ``fetch``."""


class StoreError(GraphError):
    """An error from a store backend."""


class StoreUnavailable(StoreError):
    """The store cannot be reached or opened."""


class AuthFailed(StoreError):
    """The Neo4j server refused the credentials."""


class WriteRefused(StoreError):
    """A query sent through the read-only path would change data."""


class QueryTimeout(StoreError):
    """A query ran past its time limit and was stopped."""


class QueryTooLarge(StoreError):
    """A query needed more memory than the console's cap; its worker was stopped."""


class QueryCrashed(StoreError):
    """A query crashed the worker process that ran it; the caller is unaffected."""


class QueryError(StoreError):
    """The query is not valid in the active store's dialect."""


class NodeNotFound(GraphError):
    """No entity matches the given id, name or alias."""


class AmbiguousName(GraphError):
    """A name matches more than one entity; the candidates are listed."""

    def __init__(self, name: str, candidates: list[tuple[str, str, str]]):
        self.candidates = candidates
        listed = "; ".join(f"{i} ({label}: {n})" for i, label, n in candidates[:10])
        super().__init__(f"'{name}' is ambiguous; use one of these ids: {listed}")


class NoPath(GraphError):
    """No path connects two entities under the given filters."""


class JudgementError(GraphError):
    """``data/resolutions.yaml`` is malformed, or a judgement cannot be recorded (file:line: problem)."""
