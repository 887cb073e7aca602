from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    return {
        "PLATFORM_NAME": settings.PLATFORM_NAME,
        "EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER,
        "HEALTH_ADVICE_NUMBER": settings.HEALTH_ADVICE_NUMBER,
    }
