"""Technical administration of schedules. Answers, scores and flags are shown read-only: they
change only through the participant's and therapist's pages, which log and validate."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin import AccessLoggedAdmin
from assessments.models import Questionnaire, RiskFlag, Schedule, TimePoint


class TimePointInline(admin.TabularInline[TimePoint, Schedule]):
    model = TimePoint
    extra = 0
    fields = [
        "key",
        "name",
        "opens_day",
        "closes_day",
        "instruments",
        "awaiting_texts",
        "is_active",
    ]


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin[Schedule]):
    list_display = ["name", "is_default", "created_at"]
    inlines = [TimePointInline]


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Questionnaire)
class QuestionnaireAdmin(AccessLoggedAdmin, ReadOnlyAdmin):
    # Ids only: the list is about completion, not about anyone's answers.
    list_display = ["pk", "participant_id", "time_point", "started_at", "submitted_at"]
    list_filter = ["time_point"]
    exclude = ["participant"]


@admin.register(RiskFlag)
class RiskFlagAdmin(AccessLoggedAdmin, ReadOnlyAdmin):
    list_display = [
        "pk",
        "participant_id",
        "instrument",
        "scale",
        "level",
        "raised_at",
        "escalated_at",
        "resolved_at",
    ]
    list_filter = ["level", "instrument"]
    # The note of what was done is clinical text: it is read on the staff pages, not here.
    exclude = ["participant", "resolved_by", "assigned_to", "resolution_note"]
