"""Builders for the people and objects tests need, in one place."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings

from accounts.models import CareAssignment, CareRole, Site, User

PASSWORD = "correct-horse-battery"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def make_site(code: str = "north", name: str = "North clinic") -> Site:
    site, _ = Site.objects.get_or_create(code=code, defaults={"name": name})
    return site


def _make_user(site: Site, email: str, **fields: object) -> User:
    user = User.objects.create_user(
        email, PASSWORD, site=site, consent_version=settings.CONSENT_VERSION, **fields
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def with_mfa(user: User) -> User:
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, TOTP_SECRET)
    return user


def make_participant(
    site: Site,
    email: str,
    *,
    therapist: User | None = None,
    physio: User | None = None,
    first_name: str = "Pat",
) -> User:
    user = _make_user(site, email, is_participant=True, first_name=first_name)
    user.ensure_study_id()
    user.save(update_fields=["study_id"])
    if therapist is not None:
        CareAssignment.assign(participant=user, staff=therapist, role=CareRole.THERAPIST)
    if physio is not None:
        CareAssignment.assign(participant=user, staff=physio, role=CareRole.PHYSIOTHERAPIST)
    return user


def make_therapist(site: Site, email: str, *, mfa: bool = True) -> User:
    user = _make_user(site, email, is_therapist=True, first_name="Tess")
    return with_mfa(user) if mfa else user


def make_physio(site: Site, email: str, *, mfa: bool = True) -> User:
    user = _make_user(site, email, is_physiotherapist=True, first_name="Phil")
    return with_mfa(user) if mfa else user


def make_admin(site: Site, email: str, *, mfa: bool = True) -> User:
    user = _make_user(site, email, is_research_admin=True, first_name="Ada")
    return with_mfa(user) if mfa else user


def current_totp_code(secret: str = TOTP_SECRET) -> str:
    """The code of the current 30-second window. A code is only accepted in its own window
    (no tolerance), so close to the window's end this waits for the next one: a browser test
    that types the code and submits it can take a few seconds."""
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    now = time.time()
    if 30 - now % 30 < 5:
        time.sleep(30 - now % 30 + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))
