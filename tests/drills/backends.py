"""An e-mail backend for the worker drill, used in a worker subprocess (EMAIL_BACKEND=...).

Every message is "delivered" by writing one file to DRILL_MAIL_DIR (atomically: written, then
renamed). A message to DRILL_BLOCK_ADDRESS is delivered and then never returns, like a provider
that accepted a message and whose answer never came back: the drill kills the worker there."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend


class DeliveringEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[Any]) -> int:
        folder = Path(os.environ["DRILL_MAIL_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        block = os.environ.get("DRILL_BLOCK_ADDRESS", "")
        for message in email_messages:
            name = uuid.uuid4().hex
            partial = folder / f".{name}"
            partial.write_text(
                f"To: {', '.join(message.to)}\n"
                f"X-Notification-Id: {message.extra_headers.get('X-Notification-Id', '')}\n"
            )
            partial.rename(folder / f"{name}.txt")
            if block and block in message.to:
                time.sleep(600)
        return len(email_messages)


def deliveries(folder: Path) -> list[str]:
    """The recipient of every message delivered, one entry per message."""
    if not folder.exists():
        return []
    return [path.read_text().splitlines()[0].removeprefix("To: ") for path in folder.glob("*.txt")]
