"""Django's PostgreSQL backend, for statements bound and prepared on the server.

settings.py ("Database") turns on psycopg's server-side binding and its prepared statements:
a statement's text then no longer carries its values, so each pooled connection parses and
plans a statement a page runs once, from its fifth run on, rather than on every request.

Bound on the server, a statement takes at most 65,535 parameters (the protocol counts them in
16 bits). Django 5.2 never batches `bulk_update` on PostgreSQL, nor the `bulk_create` of rows
it cannot insert through UNNEST (one array a field): it binds three values an object for a
one-field update, and fails past 21,845 objects. Here both are batched under the limit, as
Django does for SQLite's. Everything else is Django's backend as it is.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base, operations

# The extended query protocol gives a statement's parameter count as a 16-bit integer.
MAX_PARAMETERS = 2**16 - 1


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields: Any, objs: Any) -> int:
        if self.connection.settings_dict["OPTIONS"].get("server_side_binding") is not True:
            return super().bulk_batch_size(fields, objs)
        # bulk_create binds one parameter a field for each object; bulk_update passes
        # ["pk", "pk", *fields] and binds two for each field (its CASE WHEN pk THEN value) and
        # one for the pk: under twice the fields' count either way.
        return max(MAX_PARAMETERS // (2 * max(len(fields), 1)), 1)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
