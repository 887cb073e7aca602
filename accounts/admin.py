from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest, HttpResponse

from accounts.models import (
    AccessLog,
    ConsentRecord,
    Invitation,
    Notification,
    NotificationPreference,
    Site,
    User,
)


class AccessLoggedAdmin(admin.ModelAdmin[Any]):
    """An admin whose list and detail pages show people's data: every read by the technical
    admin writes an access-log row, as staff reads in the workspace do. A list is one row (not
    one per person listed); a detail page names the person it is about."""

    # The field holding the person a row is about; "" when the row is the person (User).
    access_log_subject = "participant"

    def _subject(self, obj: Any) -> User | None:
        if obj is None:
            return None
        subject = getattr(obj, self.access_log_subject) if self.access_log_subject else obj
        return subject if isinstance(subject, User) else None

    def _record(self, request: HttpRequest, action: str, obj: Any = None) -> None:
        user = request.user
        assert isinstance(user, User)
        detail = self.model._meta.model_name or ""
        if obj is not None:
            detail += f" {obj.pk}"
        AccessLog.record(
            actor=user,
            role=user.primary_role or "",
            subject=self._subject(obj),
            action=action,
            detail=detail,
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and response.status_code == 200:
            self._record(request, "admin-list")
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            self._record(request, "admin-view", self.get_object(request, unquote(object_id)))
        return response


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin[Site]):
    list_display = ["name", "code", "responsible_staff"]
    fields = ["name", "code", "responsible_staff"]


@admin.register(User)
class UserAdmin(AccessLoggedAdmin, BaseUserAdmin[User]):
    access_log_subject = ""
    ordering = ["email"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "site",
        "is_participant",
        "is_therapist",
        "is_physiotherapist",
        "is_research_admin",
    ]
    list_filter = [
        "site",
        "is_participant",
        "is_therapist",
        "is_physiotherapist",
        "is_research_admin",
    ]
    search_fields = ["email", "first_name", "last_name", "study_id"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            "Person",
            {"fields": ("first_name", "last_name", "site", "study_id", "language", "timezone")},
        ),
        (
            "Roles",
            {
                "fields": (
                    "is_participant",
                    "is_therapist",
                    "is_physiotherapist",
                    "is_research_admin",
                    "is_active",
                    "is_staff",
                    "is_superuser",
                )
            },
        ),
        ("Consent", {"fields": ("consent_version", "consent_accepted_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ["consent_version", "consent_accepted_at", "study_id"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    list_display = [
        "email",
        "role",
        "site",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    exclude = ["token_hash"]
    readonly_fields = ["accepted_at", "accepted_by", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Invitations carry a secret token that is e-mailed once: create them on the staff page.
        return False


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "actor_role", "subject", "action"]
    list_filter = ["action", "actor_role"]


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    list_display = ["user", "version", "accepted_at"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The outbox, to see what went out and what failed (the staff page shows the same)."""

    list_display = [
        "created_at",
        "recipient",
        "kind",
        "channel",
        "state",
        "attempts",
        "sent_at",
        "last_error",
    ]
    list_filter = ["state", "kind", "channel"]
    list_select_related = ["recipient"]
    search_fields = ["recipient__email", "recipient__study_id"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin[NotificationPreference]):
    list_display = [
        "user",
        "channel",
        "quiet_hours_start",
        "quiet_hours_end",
        "max_per_kind_per_week",
    ]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
