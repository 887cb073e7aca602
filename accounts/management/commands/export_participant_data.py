"""Everything the platform holds about one person, as one JSON file: for a request of access
(or portability) under the GDPR. The clinic reviews the file before handing it over.

    manage.py export_participant_data <study id or e-mail> --by <staff e-mail> --output <file>

The file is written readable by its owner only, and the export is recorded in the access log
under the staff member named with --by. Secrets are left out: the password hash, second-factor
secrets, session keys, invitation token hashes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import AccessLog, Role, User

# Foreign keys that make a row the person's own (rather than something they did as staff).
OWNER_FIELDS = ("participant", "user", "subject", "recipient", "accepted_by")
# Never exported: secrets, and the admin's own change log.
EXCLUDED_MODELS = {"mfa.authenticator", "admin.logentry", "sessions.session"}
EXCLUDED_FIELDS = {"password", "session_key", "token_hash", "secret", "data_hash"}
# Written by care staff about the person: part of the record, shown so the clinic can decide
# what it hands over (some records may be withheld by law).
STAFF_WRITTEN = {
    "therapists.clinicalnote",
    "therapists.timeentry",
    "therapists.pageview",
    "physio.physiovisit",
    "assessments.riskflag",
}


def find_person(key: str) -> User:
    person = User.objects.filter(Q(study_id=key) | Q(email__iexact=key)).first()
    if person is None:
        raise CommandError(f"No one has the study id or e-mail address {key!r}.")
    return person


def _rows(model: type[models.Model], query: Q) -> list[dict[str, Any]]:
    queryset = model._default_manager.filter(query).order_by("pk")
    rows: list[dict[str, Any]] = serializers.serialize("python", queryset)
    for row in rows:
        for name in EXCLUDED_FIELDS:
            row["fields"].pop(name, None)
    return rows


def collect(person: User) -> dict[str, list[dict[str, Any]]]:
    """Rows that belong to the person, then the rows that hang off those (answer revisions,
    messages of their threads, ratings of their goals...)."""
    user_model = type(person)
    data: dict[str, list[dict[str, Any]]] = {"accounts.user": _rows(user_model, Q(pk=person.pk))}
    owned: dict[type[models.Model], set[Any]] = {user_model: {person.pk}}
    candidates = [
        model
        for model in apps.get_models()
        if model._meta.label_lower not in EXCLUDED_MODELS and model is not user_model
    ]
    for model in candidates:
        links = [
            field.name
            for field in model._meta.get_fields()
            if isinstance(field, models.ForeignKey)
            and field.related_model is user_model
            and field.name in OWNER_FIELDS
        ]
        if not links:
            continue
        query = Q()
        for name in links:
            query |= Q(**{name: person})
        rows = _rows(model, query)
        if rows:
            data[model._meta.label_lower] = rows
            owned[model] = {row["pk"] for row in rows}
    for model in candidates:
        if model in owned:
            continue
        query = Q()
        for field in model._meta.get_fields():
            if (
                isinstance(field, models.ForeignKey)
                and field.related_model in owned
                and field.related_model is not user_model
            ):
                query |= Q(**{f"{field.name}__in": owned[field.related_model]})
        if query:
            rows = _rows(model, query)
            if rows:
                data[model._meta.label_lower] = rows
    return data


class Command(BaseCommand):
    help = "Write everything held about one person to a JSON file (a request of access)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("person", help="the person's study id or e-mail address")
        parser.add_argument(
            "--by", required=True, help="e-mail address of the staff member handling the request"
        )
        parser.add_argument("--output", required=True, type=Path, help="the file to write")

    def handle(self, *args: Any, person: str, by: str, output: Path, **options: Any) -> None:
        staff = User.objects.filter(email__iexact=by, is_active=True).first()
        if staff is None or not (staff.has_staff_role or staff.is_superuser):
            raise CommandError(f"{by!r} is not an active staff account.")
        subject = find_person(person)
        if output.exists():
            raise CommandError(f"{output} exists already; choose a new file.")
        data = collect(subject)
        document = {
            "exported_at": timezone.now(),
            "person": {"pk": subject.pk, "study_id": subject.study_id, "email": subject.email},
            "staff_written": sorted(STAFF_WRITTEN & set(data)),
            "data": data,
        }
        # Owner-only from the start: the file holds health data.
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        AccessLog.record(
            actor=staff,
            role=Role.ADMIN,
            subject=subject,
            action="export",
            detail="personal data export (request of access)",
        )
        rows = sum(len(items) for items in data.values())
        self.stdout.write(f"Wrote {rows} records in {len(data)} kinds to {output}.")
