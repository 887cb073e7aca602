"""The demo cast created by `manage.py seed_demo`. Later parts of the platform add activity."""

from __future__ import annotations

from dataclasses import dataclass

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105  # nosec B105  # public demo accounts, development only


@dataclass(frozen=True)
class DemoPerson:
    email: str
    first_name: str
    last_name: str
    roles: tuple[str, ...]


DEMO_PEOPLE = (
    DemoPerson("admin@example.org", "Alva", "Admin", ("admin",)),
    DemoPerson("therapist@example.org", "Tove", "Lind", ("therapist",)),
    DemoPerson("therapist2@example.org", "Theo", "Berg", ("therapist",)),
    DemoPerson("physio@example.org", "Pia", "Holm", ("physiotherapist",)),
    DemoPerson("participant@example.org", "Sara", "Ek", ("participant",)),
    DemoPerson("participant2@example.org", "Omar", "Nilsson", ("participant",)),
)
