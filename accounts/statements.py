"""Querysets built and compiled once per process, then run with each request's values.

Building a queryset (`filter()`, `Q`, subqueries) and compiling it to SQL costs the ORM more
than PostgreSQL takes to answer many of the statements a page runs: the therapist's dashboard
spent about half of its time there. A statement that has the same shape on every request
and differs only in values (whose caseload, as of when) can be built once with `Param`s where
the values go, compiled, kept, and run with the values of the request:

    assignments = prepared(
        "care.held_by",
        lambda: CareAssignment.objects.held_by(Param.id("staff")).values_list("participant_id"),
    )
    rows = assignments.rows(staff=therapist.pk)

The queryset is the ORM's, so the rules it is made of (`visible_to`, `awaiting_review`, ...)
stay the one definition; only its values move. What is kept, and its invalidation:

- one `Statement` per key and database alias, for the life of the process, in `_statements`.
  A new process (a deployment) starts empty. The key must name everything the statement's
  *shape* depends on (a user's roles, the time points of a schedule, so that a schedule
  `load_programme` changed is a new key); `forget()` empties the store, for tests.
- a value that is not a `Param` is part of the statement: a queryset built with a request's
  values (a user instance, `now`) would keep the first request's. The build function takes no
  arguments, and what it closes over must be the same for every run of its key (`Param`s, a
  subquery built of them, what the key names); `rows()` refuses a missing or an unknown value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import DateTimeField, Expression, Field, IntegerField, QuerySet


@dataclass(frozen=True)
class Slot:
    """Where a `Param`'s value goes in a compiled statement's parameters."""

    name: str
    field: Field[Any, Any]


class Param(Expression):
    """A value supplied when the statement runs, as a SQL parameter of `output_field`'s type."""

    def __init__(self, name: str, output_field: Field[Any, Any]) -> None:
        super().__init__(output_field=output_field)
        self.name = name

    @classmethod
    def id(cls, name: str) -> Param:
        return cls(name, IntegerField())

    @classmethod
    def moment(cls, name: str) -> Param:
        return cls(name, DateTimeField())

    def __repr__(self) -> str:
        return f"Param({self.name!r})"

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        # The parameter is the Slot itself, filled in by Statement.rows.
        return "%s", [Slot(self.name, self.output_field)]


class Statement:
    """A compiled SELECT and how to turn its rows into Python values (the ORM's converters:
    SQLite's text dates, JSON)."""

    def __init__(self, queryset: QuerySet[Any]) -> None:
        self.alias = queryset.db
        self.compiler = queryset.query.get_compiler(using=self.alias)
        self.sql, params = self.compiler.as_sql()
        self.params = list(params)
        self.names = {param.name for param in self.params if isinstance(param, Slot)}

    def rows(self, **values: Any) -> list[tuple[Any, ...]]:
        if set(values) != self.names:
            raise TypeError(f"the statement takes {sorted(self.names)}, not {sorted(values)}")
        connection = connections[self.alias]
        params = [
            param.field.get_db_prep_value(values[param.name], connection)
            if isinstance(param, Slot)
            else param
            for param in self.params
        ]
        with connection.cursor() as cursor, _planned_for_these_values(connection):
            cursor.execute(self.sql, params)
            found = cursor.fetchall()
        return list(self.compiler.results_iter(results=[found], tuple_expected=True))


@contextmanager
def _planned_for_these_values(connection: Any) -> Iterator[None]:
    """Run a statement unprepared: PostgreSQL plans it for this run's values.

    The platform's connections prepare the statements they run often (settings.py,
    "Database"), and after five runs PostgreSQL may keep one plan of a prepared statement for
    any values, made for an average caseload. These statements' best plans depend on the
    caseload's size: so planned, the dashboard's homework at 1,000 took 4.8 ms instead of 1.8,
    and the inactivity source could no longer start from the index of who has been away
    (docs/benchmarks.md)."""
    raw = connection.connection
    threshold = getattr(raw, "prepare_threshold", None)
    if threshold is None:  # SQLite, or psycopg with preparing off
        yield
        return
    raw.prepare_threshold = None  # psycopg's own switch, for this connection
    try:
        yield
    finally:
        raw.prepare_threshold = threshold


QS = TypeVar("QS", bound="QuerySet[Any]")


@dataclass(frozen=True)
class Bound(Generic[QS]):
    """A queryset built with `Param`s, to go inside a statement built once (a subquery, or the
    queryset the statement starts from), and the values of its Params for this run."""

    queryset: QS
    values: dict[str, Any]


_statements: dict[tuple[str, Any], Statement] = {}


def prepared(key: Any, build: Callable[[], QuerySet[Any]], *, using: str = "default") -> Statement:
    """The statement `build()` makes, built and compiled on the first call for `key`."""
    found = _statements.get((using, key))
    if found is None:
        found = _statements[(using, key)] = Statement(build().using(using))
    return found


def forget() -> None:
    """Drop every kept statement; the next call of `prepared` builds again."""
    _statements.clear()
