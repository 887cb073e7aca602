"""Signing in by e-mail address, with addresses nobody has proven left out."""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from allauth.account.models import EmailAddress


class VerifiedEmailBackend(AuthenticationBackend):  # type: ignore[misc]
    """allauth's backend, except that an address signs in only if it is the account's own
    (User.email: the address the invitation was sent to, or one verified since) or a verified
    address. An address someone added and never confirmed opens nothing."""

    def _authenticate_by_email(self, email: str, password: str) -> Any:
        user = super()._authenticate_by_email(email, password)
        if user is None or not email:
            return None
        if (user.email or "").lower() == email.lower():
            return user
        if EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists():
            return user
        return None


def unverified_claims(email: str, *, except_user: Any = None) -> Any:
    """Other accounts' unconfirmed addresses equal to `email`: not a claim to it."""
    claims = EmailAddress.objects.filter(email__iexact=email, verified=False)
    if except_user is not None:
        claims = claims.exclude(user=except_user)
    return claims
