"""PostgreSQL as the platform connects to it: statements bound and prepared on the server
(icbt/settings.py, "Database"; icbt/db/postgresql/base.py)."""

from __future__ import annotations

import datetime
import json
import subprocess
from datetime import timedelta

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from psycopg.pq import Format

from accounts.models import User
from accounts.statements import Param, prepared
from icbt.db.postgresql.base import MAX_PARAMETERS, UTCTimestamptzLoader
from modules.models import Enrolment, Step, StepVisit
from tests.helpers import PYTHON, ROOT, subprocess_env

pytestmark = pytest.mark.django_db


def _on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements and their parameter limit are PostgreSQL's")


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_page_s_statements_are_prepared_on_the_server_once_it_has_run_them_five_times(
    participant, programme
) -> None:  # type: ignore[no-untyped-def]
    _on_postgresql()
    person = participant
    Enrolment.enrol(person)
    client = Client()
    client.force_login(person)
    step = Step.objects.active().filter(module__number=1).order_by("position").first()
    assert step is not None
    url = f"/programme/1/{step.slug}/"
    assert not any("modules_stepvisit" in sql for sql in _prepared())
    for _ in range(6):
        assert client.get(url).status_code == 200
    prepared = _prepared()
    # The session, the person and the visit the step records, each parsed and planned once.
    assert any('FROM "django_session"' in sql for sql in prepared)
    assert any('FROM "accounts_user"' in sql for sql in prepared)
    assert any('INSERT INTO "modules_stepvisit"' in sql for sql in prepared)
    # Bound on the server: the values are not in the statement's text.
    assert not any(person.email in sql for sql in prepared)


def test_bulk_updates_are_batched_under_the_parameter_limit_of_a_statement(
    participant, programme
) -> None:  # type: ignore[no-untyped-def]
    """A one-field bulk_update binds three values an object (the pk and the value in its CASE,
    the pk in its WHERE): unbatched, 25,000 objects would need 75,000 parameters."""
    _on_postgresql()
    step = Step.objects.active().first()
    assert step is not None
    earlier = timezone.now() - timedelta(hours=1)
    count = MAX_PARAMETERS // 3 + 3000
    StepVisit.objects.bulk_create(
        StepVisit(participant=participant, step=step, started_at=earlier, last_active_at=earlier)
        for _ in range(count)
    )
    visits = list(StepVisit.objects.filter(participant=participant).only("pk"))
    later = timezone.now()
    for visit in visits:
        visit.last_active_at = later
    with CaptureQueriesContext(connection) as queries:
        StepVisit.objects.bulk_update(visits, ["last_active_at"])
    updates = [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) > 1
    assert StepVisit.objects.filter(participant=participant, last_active_at=later).count() == count


def _database_options(**env: str) -> dict[str, object]:
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "db = settings.DATABASES['default']; "
        "print(json.dumps({'ENGINE': db['ENGINE'], **{k: v for k, v in db['OPTIONS'].items() "
        "if k in ('server_side_binding', 'prepare_threshold')}}))"
    )
    found = subprocess.run(
        [PYTHON, "-c", script],
        cwd=ROOT,
        env=subprocess_env(
            DATABASE_URL="postgres://postgres@127.0.0.1:5432/icbt",
            DJANGO_SETTINGS_MODULE="icbt.settings",
            **env,
        ),
        capture_output=True,
        text=True,
        check=True,
    )
    options: dict[str, object] = json.loads(found.stdout.strip().splitlines()[-1])
    return options


def test_prepared_statements_are_on_for_postgresql_and_can_be_turned_off_for_a_pooler() -> None:
    assert _database_options(DATABASE_PREPARED_STATEMENTS="") == {
        "ENGINE": "icbt.db.postgresql",
        "server_side_binding": True,
        "prepare_threshold": 5,
    }
    # Behind PgBouncer in transaction mode: values bound in the client, as Django's default.
    assert _database_options(DATABASE_PREPARED_STATEMENTS="0") == {"ENGINE": "icbt.db.postgresql"}


def test_the_statements_built_once_are_planned_for_each_run_s_values(participant) -> None:  # type: ignore[no-untyped-def]
    """accounts/statements.py: their best plan depends on the caseload's size, so PostgreSQL
    is not given the chance to plan them once for any values."""
    _on_postgresql()
    statement = prepared(
        "tests.database.unprepared",
        lambda: User.objects.filter(pk=Param.id("person")).values_list("email"),
    )
    for _ in range(8):
        assert statement.rows(person=participant.pk) == [(participant.email,)]
    for _ in range(8):
        User.objects.filter(pk=participant.pk).values_list("email").first()
    found = _prepared()
    # The ORM's query of the same person is prepared; the statement is not.
    assert any('"accounts_user"."email"' in sql and "LIMIT" in sql for sql in found)
    assert not any(sql.strip() == statement.sql.replace("%s", "$1") for sql in found)
    assert connection.connection.prepare_threshold == 5


def test_timestamps_are_read_by_psycopg_s_loader_as_django_reads_them(participant) -> None:  # type: ignore[no-untyped-def]
    _on_postgresql()
    moments = ["2026-03-29 00:59:59.999999+00", "2026-12-06 23:30:00+01", "1999-12-31 23:59:59-05"]
    with connection.cursor() as cursor:
        oid = cursor.connection.adapters.types["timestamptz"].oid
        assert cursor.connection.adapters.get_loader(oid, Format.TEXT) is UTCTimestamptzLoader
        cursor.execute("SELECT unnest(%s::timestamptz[])", [moments])
        read = [row[0] for row in cursor.fetchall()]
        # Django's own loader, on the same connection, for the same text.
        django_loader = type("Django", (BaseTzLoader,), {"timezone": datetime.UTC})(oid, cursor)
        cursor.execute("SELECT unnest(%s::timestamptz[])::text", [moments])
        expected = [django_loader.load(row[0].encode()) for row in cursor.fetchall()]
    assert read == expected
    assert all(moment.tzinfo is datetime.UTC for moment in read)
    assert participant.date_joined == type(participant).objects.get(pk=participant.pk).date_joined
