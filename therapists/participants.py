"""The participant as the therapists' pages, the reports and the exports read them: the proxy
model `Participant` and its chainable QuerySet of adherence annotations, e.g.

    Participant.objects.in_care_of(therapist).with_progress().with_homework_waiting()

Each annotation is a correlated subquery over the participant's row, so a list of any length
costs one query. `with_last_active` comes from accounts (accounts/activity.py), the one
definition of being active that the reminders use too."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Self

from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DurationField,
    Expression,
    ExpressionWrapper,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from accounts.models import CareAssignment, CareRole, User, UserQuerySet
from accounts.models.people import UserManager
from modules.models import (
    HomeworkStatus,
    HomeworkSubmission,
    ModuleProgress,
    StepVisit,
    visit_length,
)

# Physiotherapy visits are read here and nowhere else in the adherence code.
from physio.activity import with_visits_attended
from therapists.models import Message, PageView, TimeEntry


def count_of(rows: QuerySet[Any], *, per: str = "participant", distinct: str = "") -> Coalesce:
    """A correlated COUNT of `rows` (already filtered on OuterRef) grouped by `per`, the field
    that leads to the participant, counting distinct values of `distinct` when given; 0 when
    none."""
    number = Count(distinct, distinct=True) if distinct else Count("pk")
    counted = rows.order_by().values(per).annotate(n=number).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class ParticipantQuerySet(UserQuerySet):
    def with_progress(self) -> Self:
        """Annotate `modules_done` (completed: all steps and the homework submitted with its
        required answers), `modules_opened` and `current_module_number` (the latest module
        opened, None before the programme starts)."""
        progress = ModuleProgress.objects.filter(participant=OuterRef("pk"))
        return self.annotate(
            modules_done=count_of(progress.completed()),
            modules_opened=count_of(progress.opened()),
            current_module_number=Subquery(
                progress.opened()
                .filter(module__number__isnull=False)
                .order_by("-module__number")
                .values("module__number")[:1],
                output_field=IntegerField(),
            ),
        )

    def with_homework_waiting(self) -> Self:
        """Annotate `homework_waiting`: submissions sent and not yet reviewed or returned."""
        waiting = HomeworkSubmission.objects.filter(
            participant=OuterRef("pk"), status=HomeworkStatus.SUBMITTED
        )
        return self.annotate(homework_waiting=count_of(waiting))

    def with_homework_counts(self) -> Self:
        """Annotate `homework_submitted` (modules whose homework was submitted, which needs its
        required answers, at least once) and
        `homework_reviewed` (modules whose homework the therapist has reviewed; homework
        returned for more work counts once a later version is reviewed)."""
        sent = HomeworkSubmission.objects.filter(participant=OuterRef("pk"))
        return self.annotate(
            homework_submitted=count_of(sent, distinct="module"),
            homework_reviewed=count_of(
                sent.filter(status=HomeworkStatus.REVIEWED), distinct="module"
            ),
        )

    def with_module_time(self) -> Self:
        """Annotate `minutes_in_modules`: time spent in the programme's steps, the sum of the
        step visits' lengths (see StepVisit; a duration, None before the first visit)."""
        spent = (
            StepVisit.objects.filter(participant=OuterRef("pk"))
            .order_by()
            .values("participant")
            .annotate(total=Sum(visit_length()))
            .values("total")
        )
        return self.annotate(minutes_in_modules=Subquery(spent, output_field=DurationField()))

    def with_message_counts(self) -> Self:
        """Annotate `messages_from_participant` (sent by the participant, to any of their
        therapists) and `messages_to_participant` (from their therapists, feedback on homework
        included)."""
        theirs = Message.objects.filter(thread__participant=OuterRef("pk"))
        per = "thread__participant"
        return self.annotate(
            messages_from_participant=count_of(theirs.filter(sender=OuterRef("pk")), per=per),
            messages_to_participant=count_of(theirs.exclude(sender=OuterRef("pk")), per=per),
        )

    def with_therapist_time(self) -> Self:
        """Annotate `therapist_minutes`: care staff's time on the participant, derived from the
        workspace pages they opened about them (each view capped, see PageView) plus time they
        logged by hand."""
        viewed = (
            PageView.objects.filter(participant=OuterRef("pk"))
            .order_by()
            .values("participant")
            .annotate(total=Sum("seconds"))
            .values("total")
        )
        logged = (
            TimeEntry.objects.filter(participant=OuterRef("pk"))
            .order_by()
            .values("participant")
            .annotate(total=Sum("minutes"))
            .values("total")
        )
        # As floats: PostgreSQL would divide integers as integers, and numeric comes back a
        # Decimal.
        seconds = Cast(Coalesce(Subquery(viewed, output_field=IntegerField()), 0), FloatField())
        minutes = Cast(Coalesce(Subquery(logged, output_field=IntegerField()), 0), FloatField())
        return self.annotate(
            therapist_minutes=ExpressionWrapper(
                seconds / Value(60.0) + minutes, output_field=FloatField()
            )
        )

    def with_visits_attended(self) -> Self:
        """Annotate `visits_attended`: physiotherapy visits recorded as attended (physio
        defines the count; the physiotherapist's list uses the same one)."""
        return with_visits_attended(self)  # type: ignore[return-value]

    def with_unread_by(self, staff: User) -> Self:
        """Annotate `unread`: messages from the participant that `staff` has not read."""
        unread = Message.objects.from_participants().filter(
            thread__participant=OuterRef("pk"), thread__staff=staff, read_at__isnull=True
        )
        return self.annotate(unread=count_of(unread, per="thread__participant"))

    def with_inactive_flag(self, cutoff: datetime) -> Self:
        """Annotate `is_inactive`: no activity after `cutoff` (after `with_last_active`)."""
        return self.annotate(
            is_inactive=ExpressionWrapper(
                Q(last_active_at__lte=cutoff), output_field=BooleanField()
            )
        )

    def with_care_team(self) -> Self:
        """Annotate the current therapist's and physiotherapist's names (`therapist_first_name`,
        `physiotherapist_email`...), for the admin's list."""
        names: dict[str, Any] = {}
        for role in (CareRole.THERAPIST, CareRole.PHYSIOTHERAPIST):
            current = CareAssignment.objects.current().filter(participant=OuterRef("pk"), role=role)
            for field in ("first_name", "last_name", "email"):
                names[f"{role.value}_{field}"] = Subquery(
                    current.values(f"staff__{field}")[:1], output_field=CharField()
                )
        return self.annotate(**names)

    # Filters on the annotations above, so call sites need no lookups the type checker
    # cannot see.
    def waiting_for_review(self) -> Self:
        """Those with homework waiting (after `with_homework_waiting`)."""
        return self.filter(Q(homework_waiting__gt=0))

    def with_unread(self) -> Self:
        """Those with `unread` messages (after `with_unread_by`)."""
        return self.filter(Q(unread__gt=0))

    def inactive(self) -> Self:
        """Those flagged inactive (after `with_inactive_flag`)."""
        return self.filter(Q(is_inactive=True))


class ParticipantManager(UserManager):
    # The proxy needs no manager of its own in migrations; User's is there.
    use_in_migrations = False

    def get_queryset(self) -> ParticipantQuerySet:
        return ParticipantQuerySet(self.model, using=self._db)

    def participants(self) -> ParticipantQuerySet:
        return self.get_queryset().participants()

    def visible_to(self, user: User) -> ParticipantQuerySet:
        return self.get_queryset().visible_to(user)

    def in_care_of(self, staff: User, role: CareRole | str | None = None) -> ParticipantQuerySet:
        return self.get_queryset().in_care_of(staff, role)

    def cared_for_by(
        self, staff: User | Expression, role: CareRole | str | None = None
    ) -> ParticipantQuerySet:
        return self.get_queryset().cared_for_by(staff, role)

    def filter(self, *args: Any, **kwargs: Any) -> ParticipantQuerySet:
        return self.get_queryset().filter(*args, **kwargs)

    def among(self, people: UserQuerySet) -> ParticipantQuerySet:
        """The same people as `people`, as participants to annotate (one query: a subquery)."""
        if isinstance(people, ParticipantQuerySet):
            return people
        return self.get_queryset().filter(pk__in=people.order_by().values("pk"))


class Participant(User):
    """A person seen as a participant of the programme: the same row as the User."""

    objects: ClassVar[ParticipantManager] = ParticipantManager()

    class Meta:
        proxy = True
        app_label = "therapists"
