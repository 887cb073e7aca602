"""Model objects from one SQL statement that reads several tables at once, for the few reads
on every participant page where the ORM's cost of building a query (about a millisecond each
here, against a tenth of that for the database) is most of the page's work.

The statement names each table's columns with `columns(Model, alias)`, from the model's own
fields, so a migration that adds a column needs no change here; `build` makes the object from
its part of a row as a queryset would (`Model.from_db`, with the database's and the fields'
converters applied: SQLite returns dates as text, JSON as text). Each caller keeps a test that
its statement reads what the ORM reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

from django.db import connection
from django.db.models import Model

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, Any], Any]


def columns(model: type[Model], alias: str) -> str:
    """The model's columns as `alias."column", ...`, in the order `build` reads them."""
    quote = connection.ops.quote_name
    # Every concrete field has a column; the type of `column` allows None, hence the filter.
    names = [field.column for field in model._meta.concrete_fields if field.column]
    return ", ".join(f"{quote(alias)}.{quote(name)}" for name in names)


def width(model: type[Model]) -> int:
    """How many values of a row `columns(model, ...)` selects."""
    return len(model._meta.concrete_fields)


class _Reading(NamedTuple):
    names: list[str]
    pk_index: int
    # (column index, its expression, the converters), for the columns that have any.
    converters: tuple[tuple[int, Any, tuple[Converter, ...]], ...]


# Per model, alias and database connection object (whose operations the converters are bound
# to): a sync worker has one; a threaded server one per thread, hence the bound.
@lru_cache(maxsize=128)
def _reading(model: type[Model], alias: str, ops: Any) -> _Reading:
    fields = model._meta.concrete_fields
    converters = []
    for index, field in enumerate(fields):
        expression = field.get_col(alias)
        found = tuple(ops.get_db_converters(expression)) + tuple(
            field.get_db_converters(connection)
        )
        if found:
            converters.append((index, expression, found))
    pk = model._meta.pk
    assert pk is not None
    return _Reading(
        names=[field.attname for field in fields],
        pk_index=[field.attname for field in fields].index(pk.attname),
        converters=tuple(converters),
    )


def build(model: type[M], alias: str, values: Sequence[Any]) -> M | None:
    """The object from its columns' values (as `columns` selected them), or None when its
    primary key is NULL: an outer join that found no row."""
    reading = _reading(model, alias, connection.ops)
    if values[reading.pk_index] is None:
        return None
    converted = list(values)
    for index, expression, converters in reading.converters:
        value = converted[index]
        for converter in converters:
            value = converter(value, expression, connection)
        converted[index] = value
    return model.from_db(connection.alias, reading.names, converted)
