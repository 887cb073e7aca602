"""Secrets that travel in URL paths (invitation tokens, password-reset and e-mail confirmation
keys) are replaced before a line reaches any log: Django's loggers through RedactSecretsFilter
(settings.LOGGING), gunicorn's access and error logs through RedactingGunicornLogger
(gunicorn.conf.py)."""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

REDACTED = "[redacted]"

# Each pattern keeps the path's fixed part and replaces the segment that is the secret.
SECRET_PATHS = [
    re.compile(r"(/invite/)[^/?#\s\"']+"),
    re.compile(r"(/password/reset/key/)[^/?#\s\"']+"),
    re.compile(r"(/confirm-email/)[^/?#\s\"']+"),
]


def redact(text: str) -> str:
    for pattern in SECRET_PATHS:
        text = pattern.sub(rf"\g<1>{REDACTED}", text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Rewrites the record's message with secrets in paths replaced; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = ()
        return True


class RedactingGunicornLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger with the request line, path, query and referrer redacted in the access
    log, and the same filter on its error log."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.addFilter(RedactSecretsFilter())

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {
            key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()
        }
