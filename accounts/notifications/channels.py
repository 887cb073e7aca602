"""How a notification reaches a person: the text of each kind, and the channels that carry it.

A message says that something is waiting and links to the platform; it never carries what is
waiting (feedback, a message, a score). The person signs in to read it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from accounts.models import NotificationChannel

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from accounts.models import Notification, NotificationPreference, User

logger = logging.getLogger(__name__)

# The lines of the therapists' daily summary, by the keys therapists' sweep counts under
# (therapists.notify.DIGEST_COUNTS). Like every other kind's text, they live with the e-mails,
# where they are translated into the recipient's language when the summary is sent.
DIGEST_LINES: dict[str, str | Promise] = {
    "homework": _("Homework to review"),
    "messages": _("Unread messages"),
}


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str
    # One line for a text message: the subject and the link.
    short: str


def link_for(notification: Notification) -> str:
    """Where the message sends the person: a path the writer put in the context (ids only),
    or the home page, which shows what is waiting."""
    path = notification.context.get("path")
    if not (isinstance(path, str) and path.startswith("/") and not path.startswith("//")):
        path = reverse("home")
    return settings.SITE_URL + path


def message_language(recipient: User) -> str:
    languages = dict(settings.LANGUAGES)
    return recipient.language if recipient.language in languages else settings.LANGUAGE_CODE


def render_message(notification: Notification, recipient: User) -> RenderedMessage:
    """The subject, plain text and HTML of a notification, in the recipient's language, from
    `accounts/email/notifications/<kind>.txt` (partials `subject` and `body`) inside the shared
    layouts `accounts/email/notification.txt` and `.html`."""
    link = link_for(notification)
    counts = notification.context.get("counts") or {}
    with translation.override(message_language(recipient)):
        context = {
            "platform": settings.PLATFORM_NAME,
            "link": link,
            "preferences_link": settings.SITE_URL + reverse("accounts:notification-preferences"),
            "stage": notification.context.get("stage", 1),
            "counts": [
                (DIGEST_LINES[key], number) for key, number in counts.items() if key in DIGEST_LINES
            ],
            "language": translation.get_language(),
        }
        template = f"accounts/email/notifications/{notification.kind}.txt"
        subject = " ".join(render_to_string(f"{template}#subject", context).split())
        body = render_to_string(f"{template}#body", context).strip()
        context |= {"subject": subject, "body": body, "paragraphs": _paragraphs(body)}
        text = render_to_string("accounts/email/notification.txt", context)
        html = render_to_string("accounts/email/notification.html", context)
    return RenderedMessage(subject=subject, text=text, html=html, short=f"{subject} {link}")


def _paragraphs(body: str) -> list[str]:
    return [part.strip() for part in body.split("\n\n") if part.strip()]


class Channel(Protocol):
    """One way of reaching a person. `address` is None when this person cannot be reached this
    way (no phone number); `send` raises on failure, and the sender retries."""

    name: str

    def address(self, recipient: User, preference: NotificationPreference | None) -> str | None: ...

    def send(self, message: RenderedMessage, *, to: str, reference: str) -> None: ...


class EmailChannel:
    """E-mail through Django's configured backend (EMAIL_BACKEND), text with an HTML alternative."""

    name: str = NotificationChannel.EMAIL

    def address(self, recipient: User, preference: NotificationPreference | None) -> str | None:
        return recipient.email or None

    def send(self, message: RenderedMessage, *, to: str, reference: str) -> None:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            to=[to],
            # Tells mail servers and auto-responders that no person wrote this and none should
            # answer it (RFC 3834).
            headers={"Auto-Submitted": "auto-generated", "X-Notification-Id": reference},
        )
        email.attach_alternative(message.html, "text/html")
        email.send(fail_silently=False)


class SmsBackend(Protocol):
    def send(self, *, to: str, text: str, reference: str) -> None: ...


class ConsoleSmsBackend:
    """Writes the text to the log instead of sending it, for development. The number is left
    out: it identifies a person, and logs are read by more people than the outbox is."""

    def send(self, *, to: str, text: str, reference: str) -> None:
        logger.info("SMS for notification %s: %s", reference, text)


class LocmemSmsBackend:
    """Keeps sent texts in memory, for tests (like Django's locmem e-mail backend)."""

    outbox: ClassVar[list[dict[str, str]]] = []

    def send(self, *, to: str, text: str, reference: str) -> None:
        self.outbox.append({"to": to, "text": text, "reference": reference})


def get_sms_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.NOTIFICATION_SMS_BACKEND)()
    return backend


class SmsChannel:
    """Text messages through the backend NOTIFICATION_SMS_BACKEND names: a provider's client
    only has to implement `send(to=..., text=..., reference=...)`."""

    name: str = NotificationChannel.SMS

    def address(self, recipient: User, preference: NotificationPreference | None) -> str | None:
        return (preference.phone_number if preference else "") or None

    def send(self, message: RenderedMessage, *, to: str, reference: str) -> None:
        get_sms_backend().send(to=to, text=message.short, reference=reference)


CHANNELS: dict[str, Channel] = {
    NotificationChannel.EMAIL.value: EmailChannel(),
    NotificationChannel.SMS.value: SmsChannel(),
}


def get_channel(name: str) -> Channel:
    return CHANNELS.get(name, CHANNELS[NotificationChannel.EMAIL.value])
