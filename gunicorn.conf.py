"""gunicorn's configuration for the production shape (docker-compose.yml): the access log goes to
standard output through a logger that keeps invitation tokens and reset keys out of it."""

from __future__ import annotations

accesslog = "-"
logger_class = "icbt.logredact.RedactingGunicornLogger"
