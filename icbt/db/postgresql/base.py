"""Django's PostgreSQL backend, for statements bound and prepared on the server, with
timestamps read by psycopg's C loader.

settings.py ("Database") turns on psycopg's server-side binding and its prepared statements:
a statement's text then no longer carries its values, so each pooled connection parses a
statement a page runs once, from its sixth run on, rather than on every request.

Bound on the server, a statement takes at most 65,535 parameters (the protocol counts them in
16 bits). Django 5.2 never batches `bulk_update` on PostgreSQL, nor the `bulk_create` of rows
it cannot insert through UNNEST (one array a field): it binds three values an object for a
one-field update, and fails past 21,845 objects. Here both are batched under the limit, as
Django does for SQLite's; an insert through UNNEST stays one statement.

Django reads `timestamptz` values with a loader of its own, built on psycopg's Python loader
(a regular expression and a handful of Python calls a value: 3.4 µs). Where Django's time
zone is UTC, the time zone Django sets on the connection and the one psycopg's C loader
returns values in, `UTCTimestamptzLoader` reads them with that loader instead (0.5 µs), the
same values with the same tzinfo. Everything else is Django's backend as it is.
"""

from __future__ import annotations

import datetime
from typing import Any, cast

from django.db.backends.postgresql import base, operations
from django.db.models import Field
from psycopg import adapters
from psycopg.adapt import Loader
from psycopg.pq import Format

# The extended query protocol gives a statement's parameter count as a 16-bit integer.
MAX_PARAMETERS = 2**16 - 1

# psycopg's own loader: its C one where psycopg's binary package is installed (pyproject.toml).
_TIMESTAMPTZ = adapters.types["timestamptz"].oid
_PSYCOPG_LOADER = cast("type[Loader]", adapters.get_loader(_TIMESTAMPTZ, Format.TEXT))


class UTCTimestamptzLoader(Loader):
    """psycopg's loader for `timestamptz`, with what Django's create_cursor asks of its own: a
    `timezone` that matches the connection's (else it registers its own loader again)."""

    timezone = datetime.UTC

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        self._load = _PSYCOPG_LOADER(oid, context).load

    def load(self, data: Any) -> Any:
        return self._load(data)


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields: Any, objs: Any) -> int:
        if self.connection.settings_dict["OPTIONS"].get("server_side_binding") is not True:
            return super().bulk_batch_size(fields, objs)
        if self._inserted_through_unnest(fields):
            # One array a field, whatever the number of rows: Django's single statement.
            return super().bulk_batch_size(fields, objs)
        # bulk_update passes [pk, pk, *fields] and binds two values for each field (its
        # CASE WHEN pk THEN value) and one for the pk; an insert without UNNEST one a field;
        # the deletion collector names fields: under twice the count in every case.
        return max(MAX_PARAMETERS // (2 * max(len(fields), 1)), 1)

    def _inserted_through_unnest(self, fields: Any) -> bool:
        """Whether a bulk_create of these fields goes through UNNEST, as Django 5.2's
        SQLInsertCompiler.assemble_as_sql decides from the fields (it also falls back for a
        row holding an expression, which the platform does not bulk-insert)."""
        if not fields or len(set(fields)) < len(fields):  # bulk_update's [pk, pk, *fields]
            return False
        return all(
            isinstance(field, Field)
            and not hasattr(field, "get_placeholder")
            and (
                getattr(field, "target_field", field) if field.is_relation else field
            ).get_internal_type()
            in self.connection.data_types
            for field in fields
        )


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        if self.timezone == datetime.UTC:  # USE_TZ, and no other TIME_ZONE for it
            params["context"].register_loader("timestamptz", UTCTimestamptzLoader)
        return params
