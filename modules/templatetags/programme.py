from __future__ import annotations

from typing import Any

from django import template

from modules.access import has_therapist as _has_therapist
from modules.access import programme_enabled_for

register = template.Library()


def _enabled(context: template.Context) -> bool:
    request = context.get("request")
    user: Any = getattr(request, "user", None)
    return user is not None and programme_enabled_for(user)


@register.simple_tag(takes_context=True)
def has_therapist(context: template.Context) -> bool:
    """`{% has_therapist as with_therapist %}`: whether a page may say "your therapist"."""
    request = context.get("request")
    user: Any = getattr(request, "user", None)
    return user is not None and user.is_authenticated and _has_therapist(user)


@register.simple_tag(takes_context=True)
def programme_enabled(context: template.Context) -> bool:
    """`{% programme_enabled as has_programme %}`: whether the programme's links are shown."""
    return _enabled(context)


@register.inclusion_tag("modules/_nav.html", takes_context=True)
def programme_nav(context: template.Context) -> dict[str, Any]:
    """The participant's links to the programme, or nothing for an arm without it."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    return {"has_programme": _enabled(context), "view_name": match.view_name if match else ""}
