"""Running a randomised trial on the platform: studies and their arms, who takes part, the
eligibility checklist, the concealed allocation sequence and withdrawal (`study`,
`participants`, `allocation`); and the files workers make from them, weekly reports and Excel
exports (`jobs`).

A study without arms enrols everyone it finds eligible into the programme; a clinic without any
study never meets any of this. Everything is importable from `research.models`.
"""

from __future__ import annotations

from research.models.allocation import (
    Allocation,
    AllocationQuerySet,
    AssignedAllocationManager,
    ImmutableAllocation,
    SequenceManager,
)
from research.models.invitations import StudyInvitation
from research.models.jobs import (
    STALE_CLAIM,
    DataExport,
    DataExportQuerySet,
    FileJob,
    FileJobQuerySet,
    JobState,
    Report,
    ReportKind,
    ReportQuerySet,
    job_upload_to,
)
from research.models.participants import (
    PARTICIPANT_REASONS,
    Eligibility,
    StudyParticipant,
    StudyParticipantQuerySet,
    WithdrawalReason,
    awaiting_allocation,
    start_from_randomisation,
    start_from_randomisation_sql,
    withhold_programme,
)
from research.models.study import (
    DERIVED_KINDS,
    AlreadyRandomised,
    Arm,
    CriterionKind,
    EligibilityCriterion,
    NotReadyForRandomisation,
    Receives,
    ResearchError,
    Study,
    StudyQuerySet,
    baseline_time_point,
    default_block_multipliers,
    gives_plan,
    gives_programme,
    validate_block_multipliers,
    validate_factors,
)

__all__ = [
    "DERIVED_KINDS",
    "PARTICIPANT_REASONS",
    "STALE_CLAIM",
    "Allocation",
    "AllocationQuerySet",
    "AlreadyRandomised",
    "Arm",
    "AssignedAllocationManager",
    "CriterionKind",
    "DataExport",
    "DataExportQuerySet",
    "Eligibility",
    "EligibilityCriterion",
    "FileJob",
    "FileJobQuerySet",
    "ImmutableAllocation",
    "JobState",
    "NotReadyForRandomisation",
    "Receives",
    "Report",
    "ReportKind",
    "ReportQuerySet",
    "ResearchError",
    "SequenceManager",
    "Study",
    "StudyInvitation",
    "StudyParticipant",
    "StudyParticipantQuerySet",
    "StudyQuerySet",
    "WithdrawalReason",
    "awaiting_allocation",
    "baseline_time_point",
    "default_block_multipliers",
    "gives_plan",
    "gives_programme",
    "job_upload_to",
    "start_from_randomisation",
    "start_from_randomisation_sql",
    "validate_block_multipliers",
    "validate_factors",
    "withhold_programme",
]
