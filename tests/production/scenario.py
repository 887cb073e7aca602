"""The people of the production-shape test, written into its database from a process with the
topology's own settings (so that the second factors are encrypted with its MFA key):

    python -m tests.production.scenario

prints their ids as JSON."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import django


def seed() -> dict[str, int | str]:
    from django.utils import timezone

    from accounts.models import NotificationPreference, User
    from tests.factories import make_admin, make_participant, make_site, make_therapist

    def awake_at_night(user: User) -> User:
        # The test may run at any hour: nothing it waits for may be held for the morning.
        NotificationPreference.objects.update_or_create(
            user=user, defaults={"quiet_hours_start": None, "quiet_hours_end": None}
        )
        return user

    site = make_site("north", "North clinic")
    admin = make_admin(site, "admin@prodshape.example")
    kept = awake_at_night(make_therapist(site, "kept@prodshape.example"))
    held = awake_at_night(make_therapist(site, "held@prodshape.example"))
    signing_in = make_participant(site, "signing-in@prodshape.example", therapist=kept)
    quiet = awake_at_night(make_participant(site, "quiet@prodshape.example", therapist=held))
    # Joined eight days ago and never came back: the inactivity sweep reminds them, once.
    User.objects.filter(pk=quiet.pk).update(date_joined=timezone.now() - timedelta(days=8))
    return {
        "site": site.pk,
        "admin": admin.pk,
        "kept_therapist": kept.pk,
        "held_therapist": held.pk,
        "signing_in": signing_in.pk,
        "quiet": quiet.pk,
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icbt.settings")
    django.setup()
    print(json.dumps(seed()))
