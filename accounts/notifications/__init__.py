"""The notification outbox and its channels, on the ground floor so every app can write to it.

Writers: `enqueue` (one), `enqueue_many` (a sweep's worth), the `notify_*` helpers and
`write_therapist_digests`, called by the sweeps of the apps whose data decides what is due (beat
runs them all from icbt.tasks.run_reminder_sweeps).
Sending: accounts.tasks.send_notification and dispatch_due_notifications (sending.py)."""

from __future__ import annotations

from accounts.notifications.outbox import Due, enqueue, enqueue_many, stop_reminders
from accounts.notifications.sweeps import (
    escalate_inactive_participants,
    notify_feedback_waiting,
    notify_module_opened,
    notify_new_message,
    notify_questionnaire_due,
    participants_needing_follow_up,
    write_therapist_digests,
)

__all__ = [
    "Due",
    "enqueue",
    "enqueue_many",
    "escalate_inactive_participants",
    "notify_feedback_waiting",
    "notify_module_opened",
    "notify_new_message",
    "notify_questionnaire_due",
    "participants_needing_follow_up",
    "stop_reminders",
    "write_therapist_digests",
]
