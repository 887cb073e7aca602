#!/bin/sh
# Starts one service of the platform. docker-compose.yml and tests/production/ start every
# process through this script, so that what is tested is what is deployed.
#
#   scripts/start.sh migrate        the one-off release step: migrations and the programme
#   scripts/start.sh web [ARGS]     gunicorn on $BIND (default 0.0.0.0:8000); workers from
#                                   WEB_CONCURRENCY (read by gunicorn itself), threads from
#                                   WEB_THREADS; more gunicorn options in ARGS or GUNICORN_CMD_ARGS
#   scripts/start.sh worker [ARGS]  a Celery worker, CELERY_CONCURRENCY processes (default 2)
#   scripts/start.sh beat [ARGS]    Celery beat; its schedule in $BEAT_SCHEDULE (keep it on a volume)
#   scripts/start.sh healthcheck    exits 0 when the web process on $BIND answers /healthz
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"
BIND="${BIND:-0.0.0.0:8000}"
service="${1:?usage: scripts/start.sh migrate|web|worker|beat|healthcheck [ARGS]}"
shift

case "$service" in
    migrate)
        "$PYTHON" manage.py migrate --noinput
        exec "$PYTHON" manage.py load_programme
        ;;
    web)
        # gunicorn.conf.py: the access log, through a logger that redacts tokens in URLs.
        exec "$PYTHON" -m gunicorn icbt.wsgi:application --config gunicorn.conf.py \
            --bind "$BIND" --threads "${WEB_THREADS:-4}" "$@"
        ;;
    worker)
        exec "$PYTHON" -m celery -A icbt worker --loglevel=info \
            --concurrency "${CELERY_CONCURRENCY:-2}" "$@"
        ;;
    beat)
        exec "$PYTHON" -m celery -A icbt beat --loglevel=info \
            --schedule "${BEAT_SCHEDULE:-.var/celerybeat-schedule}" "$@"
        ;;
    healthcheck)
        # The Host header is the first allowed host: Django answers any other with a 400.
        exec "$PYTHON" - "$BIND" <<'PY'
import os, sys, urllib.request
port = sys.argv[1].rsplit(":", 1)[1]
host = (os.environ.get("ALLOWED_HOSTS") or "localhost").split(",")[0].strip().lstrip(".")
host = "localhost" if host in ("", "*") else host
request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": host})
with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310  # a fixed local URL
    sys.exit(0 if response.status == 200 else 1)
PY
        ;;
    *)
        echo "unknown service: $service" >&2
        exit 2
        ;;
esac
