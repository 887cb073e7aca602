"""Demo conversations and feedback templates for `manage.py seed_demo`.

Runs after modules.demo, which gives participant@example.org (Sara) reviewed homework with
feedback for modules 1 and 2 and module 3's homework waiting for review: here that feedback also
arrives as messages in her thread with her therapist, next to a few ordinary messages (the last
one unread, so the therapist's queue shows it). participant2@example.org (Omar) gets a short
exchange with his therapist. Safe to run again: a thread that has messages is left as it is,
and templates are matched by title."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Site, User
from modules.models import HomeworkStatus, HomeworkSubmission, Module
from therapists.models import FeedbackTemplate, Message, MessageKind, Thread

# (module number or None for any module, language, title, text)
TEMPLATES: list[tuple[int | None, str, str, str]] = [
    (
        None,
        "sv",
        "Uppmuntran",
        "Hej {first_name}!\n\nTack för att du har gjort hemuppgiften i {module_title}. "
        "Det märks att du har lagt tid på den.\n\n"
        "[[Skriv något konkret som du lade märke till.]]\n\n"
        "Fortsätt i din egen takt, och hör av dig om något känns svårt.\n\nVänliga hälsningar\n"
        "{therapist_name}",
    ),
    (
        None,
        "en",
        "Encouragement",
        "Hi {first_name},\n\nThank you for doing the homework in {module_title}. You have clearly "
        "put time into it.\n\n[[Write something specific you noticed.]]\n\nKeep going at your own "
        "pace, and write to me if anything feels hard.\n\nBest wishes,\n{therapist_name}",
    ),
    (
        1,
        "sv",
        "Mål och utgångsläge",
        "Hej {first_name}!\n\nTack för att du har berättat om ditt utgångsläge och dina mål. "
        "[[Kommentera ett av målen: är det konkret och möjligt att börja med den här veckan?]]\n\n"
        "I nästa modul tittar vi på vad stress är och hur den hänger ihop med smärta.\n\n"
        "{therapist_name}",
    ),
    (
        1,
        "en",
        "Goals and starting point",
        "Hi {first_name},\n\nThank you for telling me about where you are starting from and what "
        "you want to achieve. [[Comment on one goal: is it concrete and possible to start on this "
        "week?]]\n\nIn the next module we look at what stress is and how it is linked to pain.\n\n"
        "{therapist_name}",
    ),
    (
        3,
        "sv",
        "Stressdagboken",
        "Hej {first_name}!\n\nTack för din stressdagbok. "
        "[[Peka på ett mönster du ser, till exempel "
        "vad som ofta kommer före de högsta stressnivåerna.]]\n\nDe tidiga varningssignalerna du "
        "har hittat är värdefulla: ju tidigare du märker dem, desto lättare är det att bryta.\n\n"
        "{therapist_name}",
    ),
    (
        3,
        "en",
        "The stress diary",
        "Hi {first_name},\n\nThank you for your stress diary. [[Point to one pattern you see, for "
        "example what often comes before the highest stress levels.]]\n\nThe early warning signs "
        "you found are valuable: the earlier you notice them, the easier it is to step in.\n\n"
        "{therapist_name}",
    ),
]

# (days ago, from the participant?, text, read)
SARA_MESSAGES = [
    (
        23,
        False,
        "Hej Sara! Välkommen till programmet. Jag heter Tove och är din terapeut under "
        "de kommande veckorna. Jag läser din hemuppgift varje vecka och svarar här. Du kan också "
        "skriva till mig när du vill; jag svarar oftast inom två arbetsdagar.",
        True,
    ),
    (
        22,
        True,
        "Hej Tove! Tack. Jag undrar hur lång tid jag ska lägga varje dag? Vissa dagar "
        "orkar jag nästan ingenting.",
        True,
    ),
    (
        22,
        False,
        "Bra fråga! Ungefär 20 minuter per modul och vecka räcker, uppdelat som det passar "
        "dig. På dåliga dagar är det helt okej att bara läsa en kort stund, eller att vila.",
        True,
    ),
    (
        1,
        True,
        "Hej! Den här veckan har varit tung med mycket smärta. Jag har ändå försökt fylla i "
        "dagboken. Är det okej att jag har missat några dagar?",
        False,
    ),
]
OMAR_MESSAGES = [
    (
        2,
        False,
        "Hej Omar! Välkommen. Jag heter Theo och är din terapeut i programmet. Börja med "
        "modul 1 när det passar dig, och skriv gärna om du har frågor.",
        True,
    ),
    (
        1,
        True,
        "Tack Theo. Jag har börjat läsa. Jag sover dåligt, finns det något om sömn längre fram?",
        True,
    ),
    (
        1,
        False,
        "Ja, modul 6 handlar om sömn. Fram till dess kan du notera i dagboken hur du "
        "sover, så kan vi titta på det tillsammans.",
        False,
    ),
]


def seed_demo_therapists() -> None:
    people = {user.email: user for user in User.objects.filter(email__endswith="@example.org")}
    site = Site.objects.filter(code="demo").first()
    if site is None:
        return
    now = timezone.now().replace(second=0, microsecond=0)
    with transaction.atomic():
        _templates(site, people.get("therapist@example.org"))
        _conversation(
            people.get("participant@example.org"),
            people.get("therapist@example.org"),
            SARA_MESSAGES,
            now,
            with_feedback=True,
        )
        _conversation(
            people.get("participant2@example.org"),
            people.get("therapist2@example.org"),
            OMAR_MESSAGES,
            now,
            with_feedback=False,
        )


def _templates(site: Site, author: User | None) -> None:
    modules = {m.number: m for m in Module.objects.active()}
    for number, language, title, body in TEMPLATES:
        module = modules.get(number) if number is not None else None
        if number is not None and module is None:
            continue  # the programme is not loaded
        FeedbackTemplate.objects.get_or_create(
            site=site,
            module=module,
            language=language,
            title=title,
            defaults={"body": body, "created_by": author, "updated_by": author},
        )


def _conversation(
    participant: User | None,
    therapist: User | None,
    script: list[tuple[int, bool, str, bool]],
    now: datetime,
    *,
    with_feedback: bool,
) -> None:
    if participant is None or therapist is None:
        return
    thread = Thread.between(participant=participant, staff=therapist)
    if thread.messages.exists():
        return
    messages = []
    for days, from_participant, body, read in script:
        sent = now - timedelta(days=days)
        messages.append(
            Message(
                thread=thread,
                sender=participant if from_participant else therapist,
                body=body,
                created_at=sent,
                read_at=sent + timedelta(hours=3) if read else None,
            )
        )
    if with_feedback:
        # The feedback modules.demo recorded on reviewed homework, as the message it would be
        # (its text and read time stay on the homework).
        reviewed = HomeworkSubmission.objects.filter(
            participant=participant, status=HomeworkStatus.REVIEWED, reviewer=therapist
        ).exclude(feedback="")
        for submission in reviewed:
            assert submission.reviewed_at is not None
            messages.append(
                Message(
                    thread=thread,
                    sender=therapist,
                    kind=MessageKind.FEEDBACK,
                    module_id=submission.module_id,
                    homework=submission,
                    created_at=submission.reviewed_at,
                )
            )
    Message.objects.bulk_create(sorted(messages, key=lambda message: message.created_at))
    Thread.objects.filter(pk=thread.pk).update(
        last_message_at=thread.messages.aggregate(latest=Max("created_at"))["latest"]
    )
