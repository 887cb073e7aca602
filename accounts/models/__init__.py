"""The ground floor's models: people and sites, the care team, invitations, the access log and
the notification outbox. Every other app may import these; this package imports none of them."""

from __future__ import annotations

from accounts.models.audit import AccessLog, AccessLogQuerySet, Heartbeat
from accounts.models.care import CareAssignment, CareAssignmentQuerySet, CareRole
from accounts.models.invitations import Invitation, InvitationQuerySet, hash_token
from accounts.models.notifications import (
    COUNTED_STATES,
    PARTICIPANT_KINDS,
    SAFETY_KINDS,
    STAFF_KINDS,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationPreference,
    NotificationQuerySet,
    NotificationState,
    default_max_per_kind,
    default_quiet_end,
    default_quiet_start,
)
from accounts.models.people import (
    ROLE_FIELDS,
    STAFF_ROLES,
    ConsentRecord,
    Role,
    Site,
    User,
    UserManager,
    UserQuerySet,
    generate_study_id,
    timezone_choices,
)

__all__ = [
    "COUNTED_STATES",
    "PARTICIPANT_KINDS",
    "ROLE_FIELDS",
    "SAFETY_KINDS",
    "STAFF_KINDS",
    "STAFF_ROLES",
    "AccessLog",
    "AccessLogQuerySet",
    "CareAssignment",
    "CareAssignmentQuerySet",
    "CareRole",
    "ConsentRecord",
    "Heartbeat",
    "Invitation",
    "InvitationQuerySet",
    "Notification",
    "NotificationChannel",
    "NotificationKind",
    "NotificationPreference",
    "NotificationQuerySet",
    "NotificationState",
    "Role",
    "Site",
    "User",
    "UserManager",
    "UserQuerySet",
    "default_max_per_kind",
    "default_quiet_end",
    "default_quiet_start",
    "generate_study_id",
    "hash_token",
    "timezone_choices",
]
