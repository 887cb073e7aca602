from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import CareAssignment, CareRole, Site, User
from assessments.demo import seed_demo_assessments
from icbt.demo import DEMO_PASSWORD, DEMO_PEOPLE
from modules.demo import seed_demo_progress
from physio.demo import seed_demo_physiotherapy
from research.demo import seed_demo_research
from therapists.demo import seed_demo_therapists


class Command(BaseCommand):
    help = "Create the demo site and accounts (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.ALLOW_DEMO_ACCOUNTS:
            # The demo accounts' password is published in the README; one of them is a superuser.
            raise CommandError(
                "seed_demo only runs on a development machine (DEBUG=1 or ALLOW_DEMO_ACCOUNTS=1)."
            )
        with transaction.atomic():
            site, _ = Site.objects.get_or_create(code="demo", defaults={"name": "Demo clinic"})
            people = {person.email: self._person(site, person) for person in DEMO_PEOPLE}
            for email, user in people.items():
                if (
                    user.has_staff_role
                    and not Authenticator.objects.filter(
                        user=user, type=Authenticator.Type.TOTP
                    ).exists()
                ):
                    TOTP.activate(user, generate_totp_secret())
                    RecoveryCodes.activate(user)
                if email == "admin@example.org" and not user.is_superuser:
                    user.is_staff = user.is_superuser = True
                    user.save(update_fields=["is_staff", "is_superuser"])
            care = [
                ("participant@example.org", "therapist@example.org", CareRole.THERAPIST),
                ("participant@example.org", "physio@example.org", CareRole.PHYSIOTHERAPIST),
                ("participant2@example.org", "therapist2@example.org", CareRole.THERAPIST),
                ("participant2@example.org", "physio@example.org", CareRole.PHYSIOTHERAPIST),
            ]
            for participant, staff, role in care:
                CareAssignment.assign(
                    participant=people[participant], staff=people[staff], role=role
                )
            programme_seeded = seed_demo_progress(
                people["participant@example.org"], people["participant2@example.org"]
            )
            seed_demo_assessments()
            seed_demo_therapists()
            seed_demo_physiotherapy()
            seed_demo_research()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        if not programme_seeded:
            self.stdout.write(
                "No programme progress: run `manage.py load_programme`, then seed_demo again."
            )
        self.stdout.write(f"Every demo account's password is: {DEMO_PASSWORD}")
        for person in DEMO_PEOPLE:
            self.stdout.write(f"  {person.email:28} {', '.join(person.roles)}")
        if settings.DEBUG:
            self.stdout.write(
                "Staff accounts ask for a two-factor code: run `make code` "
                "(python manage.py demo_code) to print the current codes."
            )

    def _person(self, site: Site, person: Any) -> User:
        user = User.objects.filter(email=person.email).first()
        if user is None:
            user = User(email=person.email, site=site)
            user.set_password(DEMO_PASSWORD)
        user.first_name, user.last_name = person.first_name, person.last_name
        user.site = site
        user.is_participant = "participant" in person.roles
        user.set_staff_roles([role for role in person.roles if role != "participant"])
        user.ensure_study_id()
        user.consent_version = user.consent_version or settings.CONSENT_VERSION
        user.save()
        EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        return user
