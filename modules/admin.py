from __future__ import annotations

from django.contrib import admin

from modules.models import Enrolment, Module, Step

# Only the content and enrolment are here: answers and diaries are health data and are read
# through the therapists' pages, which log every access.


class StepInline(admin.TabularInline[Step, Module]):
    model = Step
    fields = ("position", "slug", "kind", "diary", "retired_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin[Module]):
    list_display = ("number", "slug", "version", "minutes", "loaded_at", "retired_at")
    readonly_fields = ("number", "slug", "version", "minutes", "texts", "loaded_at", "retired_at")
    inlines = [StepInline]

    def has_add_permission(self, request: object) -> bool:
        # Content comes from the files through `manage.py load_programme`.
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin[Enrolment]):
    list_display = ("participant", "enrolled_at", "has_programme")
    list_filter = ("has_programme",)
    raw_id_fields = ("participant",)
