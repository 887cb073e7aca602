from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import Invitation, User
from accounts.signals import invitation_accepted

if TYPE_CHECKING:
    from django.http import HttpRequest

INVITATION_SESSION_KEY = "invitation_id"


def invitation_from_session(request: HttpRequest) -> Invitation | None:
    invitation_id = request.session.get(INVITATION_SESSION_KEY)
    if invitation_id is None:
        return None
    invitation = Invitation.objects.filter(pk=invitation_id).select_related("site").first()
    if invitation is None or not invitation.is_usable:
        return None
    return invitation


class AccountAdapter(DefaultAccountAdapter):
    """Signup is closed except through a valid invitation held in the session."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return invitation_from_session(request) is not None

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        invitation = invitation_from_session(request)
        if invitation is None:
            raise PermissionDenied("No valid invitation.")
        with transaction.atomic():
            if not invitation.claim():
                raise PermissionDenied("The invitation was used or withdrawn meanwhile.")
            user = super().save_user(request, user, form, commit=False)
            invitation.apply_to(user)
            # Keep the language the person chose while signing up.
            language = getattr(request, "LANGUAGE_CODE", "")
            if language in dict(settings.LANGUAGES):
                user.language = language
            user.save()
            invitation.accepted_by = user
            invitation.save(update_fields=["accepted_by"])
            invitation.start_care_team(user)
            invitation_accepted.send(sender=Invitation, invitation=invitation, user=user)
        request.session.pop(INVITATION_SESSION_KEY, None)
        return user


def _fernet() -> Fernet:
    key = settings.MFA_ENCRYPTION_KEY
    if not key:
        # Development only: derive a stable key from SECRET_KEY.
        digest = hashlib.sha256(("mfa:" + settings.SECRET_KEY).encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets and recovery-code seeds are encrypted at rest."""

    def get_public_key_credential_rp_entity(self) -> dict[str, str]:
        # The name a passkey is saved under on the person's device: the platform's, rather
        # than the host name allauth falls back to without the sites framework.
        entity: dict[str, str] = super().get_public_key_credential_rp_entity()
        return {**entity, "name": settings.PLATFORM_NAME}

    def encrypt(self, text: str) -> str:
        return _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        try:
            return _fernet().decrypt(encrypted_text.encode()).decode()
        except InvalidToken:
            raise PermissionDenied("The MFA secret cannot be decrypted with this key.") from None


def user_is_mfa_enabled(user: User) -> bool:
    from allauth.mfa.utils import is_mfa_enabled

    return bool(is_mfa_enabled(user))


# The answer for the request's user, kept on the request: the onboarding middleware and the
# role decorators both ask on every staff page, and the second ask would be a query more.
_MFA_ANSWER = "_icbt_mfa_enabled"


def request_user_is_mfa_enabled(request: HttpRequest) -> bool:
    """`user_is_mfa_enabled` for `request.user`, looked up once per request (and again if the
    request's user changes, e.g. on signing in)."""
    user = request.user
    kept: tuple[object, bool] | None = getattr(request, _MFA_ANSWER, None)
    if kept is not None and kept[0] == user.pk:
        return kept[1]
    enabled = user_is_mfa_enabled(user) if user.is_authenticated else False
    setattr(request, _MFA_ANSWER, (user.pk, enabled))
    return enabled
