"""A large, realistic data set for the benchmarks (`make bench`, bench/run.py), made with bulk
inserts so that thousands of participants with full histories take a minute, not an hour.

    manage.py seed_bench --participants 2000 --therapists 20
    manage.py seed_bench --exports 100,10000,100000

The first form makes the site "bench", its therapists (the first with a caseload of 1,000, the
second with 100, the rest share what is left), a research admin, and participants spread evenly
over every stage of the programme: each with the modules they completed (steps, visits, answers
with their revision history, diary entries, reviewed homework), the module under way, a message
thread, the baseline questionnaire (answered and scored), notification history and, for some,
homework waiting for review, unread messages or a risk flag. The second form adds one study per
size with that many lighter participants (programme progress only), for the export scenarios.

Staff share one password (--password) and one TOTP secret (--totp-secret); participants the same
password. Only for a throwaway database: never run it against real data.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import (
    CareAssignment,
    CareRole,
    ConsentRecord,
    Notification,
    NotificationKind,
    NotificationState,
    Site,
    User,
)
from assessments.models import InstrumentResponse, Questionnaire, RiskFlag, TimePoint
from assessments.schedules import seed_default_schedule
from modules.models import (
    Answer,
    AnswerRevision,
    DiaryEntry,
    Enrolment,
    HomeworkStatus,
    HomeworkSubmission,
    Module,
    ModuleProgress,
    Step,
    StepProgress,
    StepVisit,
)
from research.models import Study, StudyParticipant
from therapists.models import Message, Thread

SITE_CODE = "bench"
DEFAULT_PASSWORD = "bench-password-not-secret"  # noqa: S105 - a throwaway benchmark database
# Base32, as allauth stores it; the benchmark signs staff in with codes computed from it.
DEFAULT_TOTP_SECRET = "BENCHBENCHBENCHBENCHBENCHBENCH23"  # noqa: S105
BIG_CASELOAD = 1_000
SMALL_CASELOAD = 100
BATCH = 500
MODULE_DAYS = 7


def participant_email(index: int) -> str:
    return f"bench.p{index:06d}@example.org"


def therapist_email(index: int) -> str:
    return f"bench.therapist{index:03d}@example.org"


ADMIN_EMAIL = "bench.admin@example.org"


def caseload_sizes(participants: int, therapists: int) -> list[int]:
    """How many participants each therapist guides: 1,000 and 100 for the first two (fewer
    when there are not that many participants), the rest shared evenly by the others."""
    if therapists < 1:
        return []
    if therapists == 1:
        return [participants]
    big = min(BIG_CASELOAD, participants // 2)
    if therapists == 2:
        return [big, participants - big]
    small = min(SMALL_CASELOAD, (participants - big) // 2)
    rest, others = participants - big - small, therapists - 2
    return [big, small] + [rest // others + (index < rest % others) for index in range(others)]


def sample_value(spec: dict[str, Any], index: int) -> Any:
    """A plausible stored value for one field of an exercise spec."""
    kind = spec["type"]
    if kind in ("short_text", "long_text"):
        text = f"Svar {index}: en mening om hur veckan har gått och vad som hjälpte."
        return text[: spec.get("max_length", len(text))]
    if kind == "scale":
        return index % 11
    if kind == "single_choice":
        return spec["options"][index % len(spec["options"])]["key"]
    if kind == "multiple_choice":
        return [option["key"] for option in spec["options"][: 1 + index % 2]]
    if kind == "date":
        return "2026-03-14"
    if kind == "time":
        return "09:30"
    if kind == "table":
        return [
            {column["key"]: sample_value(column, index + row) for column in spec["columns"]}
            for row in range(2)
        ]
    return ""


def sample_answer(step: Step, index: int) -> dict[str, Any]:
    spec = step.exercise or {"fields": []}
    return {item["key"]: sample_value(item, index) for item in spec["fields"]}


class Command(BaseCommand):
    help = "Bulk-create a benchmark data set (throwaway databases only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--participants", type=int, default=2_000)
        parser.add_argument("--therapists", type=int, default=20)
        parser.add_argument(
            "--exports",
            default="",
            help="Comma-separated study sizes for the export scenarios, e.g. 100,10000,100000.",
        )
        parser.add_argument("--password", default=DEFAULT_PASSWORD)
        parser.add_argument("--totp-secret", default=DEFAULT_TOTP_SECRET)

    def handle(self, *args: Any, **options: Any) -> None:
        database = str(connection.settings_dict["NAME"])
        if "bench" not in database and "test" not in database:
            raise CommandError(
                "seed_bench writes accounts with a published password: it only runs against a "
                f"database whose name contains 'bench' (or a test database), not {database!r}."
            )
        if not Module.objects.active().exists():
            raise CommandError("No programme: run `manage.py load_programme` first.")
        self.now = timezone.now()
        self.password_hash = make_password(options["password"])
        self.site, _created = Site.objects.get_or_create(
            code=SITE_CODE, defaults={"name": "Benchmark clinic"}
        )
        self.admin = self._staff(ADMIN_EMAIL, "admin", options["totp_secret"])
        exports = [int(size) for size in options["exports"].split(",") if size.strip()]
        if exports:
            for size in exports:
                started = time.perf_counter()
                self._export_population(size)
                self.stdout.write(
                    f"export study of {size} participants in {time.perf_counter() - started:.1f} s"
                )
            self._analyse()
            return
        started = time.perf_counter()
        therapists = [
            self._staff(therapist_email(index), "therapist", options["totp_secret"])
            for index in range(options["therapists"])
        ]
        self._population(options["participants"], therapists)
        sizes = caseload_sizes(options["participants"], options["therapists"])
        self.stdout.write(
            f"{options['participants']} participants, {len(therapists)} therapists "
            f"(caseloads {sizes[:2]} and {len(sizes) - 2} more) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        self._analyse()

    def _analyse(self) -> None:
        """Planner statistics for the rows just written, and the seed's own updates' dead rows
        cleared. A running platform's database has both (autovacuum keeps them); rows
        bulk-inserted a moment ago have no statistics until it gets to them, or never where
        autovacuum is off, and PostgreSQL then plans for tables it takes to be nearly empty:
        the bench would measure plans no clinic runs."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # VACUUM cannot run inside a transaction (a test's); ANALYZE alone can.
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")

    # --- people --------------------------------------------------------------------------------

    def _staff(self, email: str, role: str, secret: str) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User(email=email, site=self.site, password=self.password_hash)
            user.first_name, user.last_name = role.title(), email.split("@")[0][-3:]
            user.set_staff_roles([role])
            user.consent_version = settings.CONSENT_VERSION
            user.consent_accepted_at = self.now
            user.save()
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, secret)
        return user

    def _population(self, count: int, therapists: list[User]) -> None:
        modules = list(Module.objects.active().order_by("number"))
        steps = {
            module.pk: list(Step.objects.active().filter(module=module).order_by("position"))
            for module in modules
        }
        schedule = seed_default_schedule()
        baseline = TimePoint.objects.filter(schedule=schedule, key="baseline").first()
        responses = self._baseline_responses(baseline)
        owners: list[User] = []
        for therapist, size in zip(
            therapists, caseload_sizes(count, len(therapists)), strict=False
        ):
            owners += [therapist] * size
        existing = User.objects.filter(email__startswith="bench.p").count()
        for start in range(existing, count, BATCH):
            with transaction.atomic():
                indexes = list(range(start, min(count, start + BATCH)))
                self._batch(indexes, owners, modules, steps, baseline, responses)
            self.stdout.write(f"  {indexes[-1] + 1} participants", ending="\r")
            self.stdout.flush()
        self.stdout.write("")

    def _baseline_responses(self, baseline: TimePoint | None) -> list[InstrumentResponse]:
        """The baseline answers of the demo, scored once and copied to everyone."""
        if baseline is None:
            return []
        from assessments.demo import baseline_answers

        answers = baseline_answers()
        scored = []
        for code in baseline.instruments:
            if code in answers:
                response = InstrumentResponse(instrument=code, answers=answers[code], language="sv")
                response.compute_scores(when=self.now)
                scored.append(response)
        return scored

    def _batch(
        self,
        indexes: list[int],
        owners: list[User],
        modules: list[Module],
        steps: dict[int, list[Step]],
        baseline: TimePoint | None,
        responses: list[InstrumentResponse],
    ) -> None:
        now = self.now
        total = len(modules)
        # Evenly over every stage: 0 to all modules completed.
        done = {index: index % (total + 1) for index in indexes}
        joined = {index: now - timedelta(days=done[index] * MODULE_DAYS + 3) for index in indexes}
        # One in seven has been away long enough to count as inactive.
        seen = {
            index: now - timedelta(days=10 if index % 7 == 0 else index % 2, hours=index % 5)
            for index in indexes
        }
        people = User.objects.bulk_create(
            User(
                email=participant_email(index),
                password=self.password_hash,
                first_name="Deltagare",
                last_name=f"{index:06d}",
                site=self.site,
                is_participant=True,
                study_id=f"B{index:07d}",
                consent_version=settings.CONSENT_VERSION,
                consent_accepted_at=joined[index],
                date_joined=joined[index],
                last_login=seen[index],
                last_seen_at=seen[index],
            )
            for index in indexes
        )
        by_index = dict(zip(indexes, people, strict=True))
        EmailAddress.objects.bulk_create(
            EmailAddress(user=person, email=person.email, verified=True, primary=True)
            for person in people
        )
        ConsentRecord.objects.bulk_create(
            ConsentRecord(user=person, version=settings.CONSENT_VERSION, accepted_at=joined[i])
            for i, person in by_index.items()
        )
        Enrolment.objects.bulk_create(
            Enrolment(participant=person, enrolled_at=joined[i]) for i, person in by_index.items()
        )
        care = {i: owners[i] for i in indexes if i < len(owners)}
        CareAssignment.objects.bulk_create(
            CareAssignment(
                participant=by_index[i], staff=staff, role=CareRole.THERAPIST, started_at=joined[i]
            )
            for i, staff in care.items()
        )
        threads = {
            thread.participant_id: thread
            for thread in Thread.objects.bulk_create(
                Thread(participant=by_index[i], staff=staff, created_at=joined[i])
                for i, staff in care.items()
            )
        }

        progress: list[ModuleProgress] = []
        step_progress: list[StepProgress] = []
        visits: list[StepVisit] = []
        answers: list[tuple[Answer, list[dict[str, Any]]]] = []
        diary: list[DiaryEntry] = []
        homework: list[HomeworkSubmission] = []
        messages: list[Message] = []
        notifications: list[Notification] = []
        for i, person in by_index.items():
            staff = care.get(i)
            thread = threads.get(person.pk)
            for position, module in enumerate(modules):
                if position > done[i]:
                    break
                opened = joined[i] + timedelta(days=position * MODULE_DAYS)
                completed = position < done[i]
                progress.append(
                    ModuleProgress(
                        participant=person,
                        module=module,
                        opened_at=opened,
                        first_visited_at=opened + timedelta(hours=2),
                        completed_at=opened + timedelta(days=5) if completed else None,
                    )
                )
                notifications.append(
                    Notification(
                        recipient=person,
                        kind=NotificationKind.MODULE_OPENED,
                        dedupe_key=Notification.make_dedupe_key(
                            NotificationKind.MODULE_OPENED, person.pk, f"module-{module.pk}"
                        ),
                        context={"module": module.number},
                        state=NotificationState.SENT,
                        attempts=1,
                        created_at=opened,
                        not_before=opened,
                        sent_at=opened + timedelta(minutes=1),
                    )
                )
                module_steps = steps[module.pk]
                # The module under way: the first half of its steps done.
                worked = module_steps if completed else module_steps[: len(module_steps) // 2]
                for number, step in enumerate(worked):
                    at = opened + timedelta(hours=2, minutes=5 * number)
                    step_progress.append(
                        StepProgress(
                            participant=person,
                            step=step,
                            first_opened_at=at,
                            completed_at=at + timedelta(minutes=4),
                        )
                    )
                    visits.append(
                        StepVisit(
                            participant=person,
                            step=step,
                            started_at=at,
                            last_active_at=at + timedelta(minutes=3),
                        )
                    )
                    if step.is_diary:
                        diary += [
                            DiaryEntry(
                                participant=person,
                                step=step,
                                entry_date=(at + timedelta(days=day)).date(),
                                data=sample_answer(step, i + day),
                                created_at=at + timedelta(days=day),
                            )
                            for day in range(3)
                        ]
                    elif step.has_exercise:
                        drafts = [sample_answer(step, i), sample_answer(step, i + 1)]
                        answers.append(
                            (
                                Answer(
                                    participant=person,
                                    step=step,
                                    data=drafts[-1],
                                    revision=len(drafts),
                                    content_version=module.version,
                                    created_at=at,
                                    updated_at=at + timedelta(minutes=3),
                                ),
                                drafts,
                            )
                        )
                homework_step = next((s for s in module_steps if s.is_homework), None)
                if completed and homework_step is not None:
                    # The last completed module's homework waits for review for one in ten.
                    waiting = position == done[i] - 1 and i % 10 == 0
                    submitted = opened + timedelta(days=4)
                    homework.append(
                        HomeworkSubmission(
                            participant=person,
                            module=module,
                            step=homework_step,
                            snapshot={"data": sample_answer(homework_step, i), "revision": 2},
                            content_version=module.version,
                            submitted_at=submitted,
                            status=HomeworkStatus.SUBMITTED if waiting else HomeworkStatus.REVIEWED,
                            reviewed_at=None if waiting else submitted + timedelta(days=1),
                            reviewer=None if waiting else staff,
                            feedback="" if waiting else "Bra jobbat med veckans övning.",
                            feedback_read_at=None if waiting else submitted + timedelta(days=2),
                        )
                    )
                if thread is not None and staff is not None and completed:
                    messages += [
                        Message(
                            thread=thread,
                            sender=person,
                            body="En fråga om veckans övning.",
                            created_at=opened + timedelta(days=2),
                            read_at=opened + timedelta(days=2, hours=3),
                        ),
                        Message(
                            thread=thread,
                            sender=staff,
                            body="Tack, här är ett svar på din fråga.",
                            created_at=opened + timedelta(days=2, hours=3),
                            read_at=opened + timedelta(days=2, hours=8),
                        ),
                    ]
            if thread is not None and i % 10 == 3:
                messages.append(
                    Message(
                        thread=thread,
                        sender=person,
                        body="Jag har en fråga.",
                        created_at=now - timedelta(hours=5),
                    )
                )
        ModuleProgress.objects.bulk_create(progress, batch_size=2_000)
        StepProgress.objects.bulk_create(step_progress, batch_size=2_000)
        StepVisit.objects.bulk_create(visits, batch_size=2_000)
        DiaryEntry.objects.bulk_create(diary, batch_size=2_000)
        HomeworkSubmission.objects.bulk_create(homework, batch_size=2_000)
        Notification.objects.bulk_create(notifications, batch_size=2_000)
        saved = Answer.objects.bulk_create(
            [answer for answer, _drafts in answers], batch_size=2_000
        )
        AnswerRevision.objects.bulk_create(
            (
                AnswerRevision(
                    answer=answer,
                    revision=number,
                    data=data,
                    content_version=answer.content_version,
                    saved_at=answer.created_at + timedelta(minutes=number),
                )
                for answer, (_answer, drafts) in zip(saved, answers, strict=True)
                for number, data in enumerate(drafts, start=1)
            ),
            batch_size=2_000,
        )
        Message.objects.bulk_create(messages, batch_size=2_000)
        last: dict[int, datetime] = {}
        for message in messages:
            last[message.thread_id] = max(
                last.get(message.thread_id, message.created_at), message.created_at
            )
        for thread_id, at in last.items():
            Thread.objects.filter(pk=thread_id).update(last_message_at=at)
        if baseline is not None:
            self._questionnaires(by_index, joined, baseline, responses)

    def _questionnaires(
        self,
        by_index: dict[int, User],
        joined: dict[int, datetime],
        baseline: TimePoint,
        responses: list[InstrumentResponse],
    ) -> None:
        questionnaires = Questionnaire.objects.bulk_create(
            Questionnaire(
                participant=person,
                time_point=baseline,
                started_at=joined[i] + timedelta(hours=1),
                submitted_at=joined[i] + timedelta(hours=2),
            )
            for i, person in by_index.items()
        )
        InstrumentResponse.objects.bulk_create(
            (
                InstrumentResponse(
                    questionnaire=questionnaire,
                    instrument=response.instrument,
                    answers=response.answers,
                    language=response.language,
                    scores=response.scores,
                    scoring_version=response.scoring_version,
                    scored_at=questionnaire.submitted_at,
                )
                for questionnaire in questionnaires
                for response in responses
            ),
            batch_size=2_000,
        )
        hads = next((r for r in responses if r.instrument == "hads"), None)
        anxiety = (hads.scores or {}).get("anxiety") if hads is not None else None
        if anxiety is not None:
            # One in twenty has an open flag for their therapist.
            RiskFlag.objects.bulk_create(
                RiskFlag(
                    participant=questionnaire.participant,
                    questionnaire=questionnaire,
                    instrument="hads",
                    scale="anxiety",
                    value=float(anxiety),
                    level="probable_case",
                    raised_at=questionnaire.submitted_at or self.now,
                )
                for i, questionnaire in zip(by_index, questionnaires, strict=True)
                if i % 20 == 0
            )

    # --- export studies ------------------------------------------------------------------------

    def _export_population(self, size: int) -> Study:
        """A study of `size` participants with programme progress (module 1 open for all,
        completed by every other one, module 2 open for those), for the export scenarios."""
        name = f"Bench export {size}"
        study = Study.objects.filter(name=name).first()
        if study is not None:
            return study
        study = Study.objects.create(name=name, created_by=self.admin)
        study.sites.add(self.site)
        modules = list(Module.objects.active().order_by("number")[:2])
        unusable = make_password(None)
        start_day = date.today() - timedelta(days=30)
        joined = timezone.make_aware(datetime.combine(start_day, datetime.min.time()))
        for start in range(0, size, 5_000):
            with transaction.atomic():
                people = User.objects.bulk_create(
                    User(
                        email=f"bench.e{size}.{index:06d}@example.org",
                        password=unusable,
                        site=self.site,
                        is_participant=True,
                        study_id=f"E{size:06d}{index:06d}",
                        consent_version=settings.CONSENT_VERSION,
                        date_joined=joined,
                    )
                    for index in range(start, min(size, start + 5_000))
                )
                StudyParticipant.objects.bulk_create(
                    StudyParticipant(
                        study=study, participant=person, site=self.site, invited_at=joined
                    )
                    for person in people
                )
                rows = []
                for number, person in enumerate(people):
                    rows.append(
                        ModuleProgress(
                            participant=person,
                            module=modules[0],
                            opened_at=joined,
                            completed_at=joined + timedelta(days=5) if number % 2 else None,
                        )
                    )
                    if number % 2 and len(modules) > 1:
                        rows.append(
                            ModuleProgress(
                                participant=person,
                                module=modules[1],
                                opened_at=joined + timedelta(days=MODULE_DAYS),
                            )
                        )
                ModuleProgress.objects.bulk_create(rows, batch_size=5_000)
        return study
