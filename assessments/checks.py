"""System checks: a deployment with a broken risk rule or texts file fails `manage.py check`
instead of silently raising no flags or showing placeholders to participants."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register()
def check_assessment_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from assessments.flags import parse_rule
    from assessments.item_texts import texts_file_status

    errors: list[checks.CheckMessage] = []
    for index, raw in enumerate(settings.ASSESSMENTS_RISK_RULES):
        try:
            parse_rule(raw)
        except (ValueError, TypeError) as exc:
            errors.append(
                checks.Error(f"ASSESSMENTS_RISK_RULES[{index}]: {exc}", id="assessments.E001")
            )
    status = texts_file_status()
    if status.configured and status.error:
        errors.append(checks.Error(f"INSTRUMENT_TEXTS_FILE: {status.error}", id="assessments.E002"))
    if settings.ASSESSMENTS_ITEMS_PER_PAGE < 1:
        errors.append(
            checks.Error("ASSESSMENTS_ITEMS_PER_PAGE must be at least 1.", id="assessments.E003")
        )
    return errors
