from __future__ import annotations

from typing import Any

from django import template

from therapists.unassigned import unassigned_homework

register = template.Library()


@register.simple_tag(takes_context=True)
def unassigned_homework_count(context: template.Context) -> int:
    """`{% unassigned_homework_count as waiting %}`: how much homework has no therapist to read
    it, for the admin's home (a count, no participant's data)."""
    request = context.get("request")
    user: Any = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return unassigned_homework(user).count()
