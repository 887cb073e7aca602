"""Template tags other pages use to show a participant's study, without knowing the models."""

from __future__ import annotations

from typing import Any

from django import template

from research.models import StudyParticipant

register = template.Library()


@register.inclusion_tag("research/_settings_panel.html", takes_context=True)
def study_settings_panel(context: template.Context) -> dict[str, Any]:
    """The participant's study and the way to leave it, for their Settings page; nothing for
    anyone who takes part in no study (one query, for participants only)."""
    request = context.get("request")
    user: Any = getattr(request, "user", None)
    member = None
    if user is not None and user.is_authenticated and user.is_participant:
        member = StudyParticipant.objects.visible_to(user).select_related("study").first()
    return {"member": member}
