"""Inviting a participant straight into a study.

accounts owns invitations and must not import research, so the study travels beside the
invitation rather than on it:

- the invite page's form is `StudyInvitationForm` (settings.ACCOUNTS_INVITATION_FORM), accounts'
  own form with a study field; its `issued` stores the choice as a `StudyInvitation` row, in the
  transaction that creates the invitation;
- on sign-up accounts sends `invitation_accepted`; `add_to_invited_study`, connected in
  ResearchConfig.ready(), adds the new participant to that study. In a study with arms that
  closes the programme until randomisation (`Study.add_participant`).

Both hooks run inside accounts' transactions, so an invitation and its study, and an account
and its study place, are written together or not at all.
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import InvitationForm
from accounts.models import Invitation, Role, User
from research.models import ResearchError, Study, StudyInvitation

logger = logging.getLogger(__name__)


class StudyInvitationForm(InvitationForm):
    study = forms.ModelChoiceField(
        label=_("Study"),
        queryset=Study.objects.none(),
        required=False,
        empty_label=_("No study"),
        help_text=_(
            "For a participant: they join this study when they sign up. In a study with arms "
            "the programme opens only after randomisation."
        ),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        studies = Study.objects.visible_to(user).open()
        self.fields["study"].queryset = studies  # type: ignore[attr-defined]
        if len(studies) == 1:
            # A clinic running one trial: inviting into it is the usual case.
            self.fields["study"].initial = studies[0]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        study, site = cleaned.get("study"), cleaned.get("site")
        if study is not None:
            if cleaned.get("role") != Role.PARTICIPANT:
                self.add_error("study", _("Only a participant can take part in a study."))
            elif site is not None and not study.sites.filter(pk=site.pk).exists():
                self.add_error("study", _("The chosen site does not take part in this study."))
        return cleaned

    def issued(self, invitation: Invitation) -> None:
        study = self.cleaned_data.get("study")
        if study is not None:
            StudyInvitation.objects.create(invitation=invitation, study=study)


def add_to_invited_study(sender: Any, *, invitation: Invitation, user: User, **kwargs: Any) -> None:
    """Receiver of accounts' `invitation_accepted`: put the new participant in the study their
    invitation names. A study closed since the invitation was sent takes nobody in; the account
    is still made, without the study."""
    link = StudyInvitation.objects.filter(invitation=invitation).select_related("study").first()
    if link is None or not user.is_participant:
        return
    if link.study.is_closed:
        logger.info("Study %s closed before invitation %s", link.study_id, invitation.pk)
        return
    try:
        link.study.add_participant(user, by=invitation.invited_by)
    except ResearchError:
        # The site left the study meanwhile: the admin can still add them by hand.
        logger.info("Invitation %s could not join study %s", invitation.pk, link.study_id)
