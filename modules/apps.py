from __future__ import annotations

from django.apps import AppConfig


class ModulesConfig(AppConfig):
    name = "modules"

    def ready(self) -> None:
        # `panels` is imported for its side effect: its system check registers.
        from modules import panels  # noqa: F401

        register_module_work()


def register_module_work() -> None:
    """Working in a module is activity (accounts/activity.py): visiting a step, saving an
    answer, sending homework."""
    from accounts.activity import register_activity
    from modules.models import Answer, HomeworkSubmission, StepVisit

    register_activity(
        "modules.step_visit",
        lambda who: StepVisit.objects.filter(participant=who),
        "last_active_at",
    )
    register_activity(
        "modules.answer", lambda who: Answer.objects.filter(participant=who), "updated_at"
    )
    register_activity(
        "modules.homework",
        lambda who: HomeworkSubmission.objects.filter(participant=who),
        "submitted_at",
    )
