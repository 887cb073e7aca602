"""The technical admin shows care assignments and feedback templates only. Messages, notes and
time are health data: they are read through the workspace, where every read is logged."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin import AccessLoggedAdmin
from accounts.models import CareAssignment
from therapists.models import FeedbackTemplate


@admin.register(CareAssignment)
class CareAssignmentAdmin(AccessLoggedAdmin):
    list_display = ["participant", "staff", "role", "started_at", "ended_at"]
    list_filter = ["role"]
    readonly_fields = ["participant", "staff", "role", "started_at", "ended_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Assign through the care-team page, which keeps history and checks the site.
        return False


@admin.register(FeedbackTemplate)
class FeedbackTemplateAdmin(admin.ModelAdmin[FeedbackTemplate]):
    list_display = ["title", "module", "language", "site", "updated_at"]
    list_filter = ["language", "site"]
