"""Settings for the platform, read from the environment.

Every value that differs between a developer's laptop, CI and production comes from an environment
variable documented in the README. Without any, the platform runs on an embedded default: SQLite, a
file-system Celery broker, a file-based cache and e-mail to the console.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Lets generic admin, form and queryset classes be subscripted at runtime, for type hints.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Runtime state of the embedded default (SQLite file, broker folders, cache, reports).
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / ".var")))

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=1 for local development."
        )
    SECRET_KEY = "development-only-insecure-secret-key-do-not-use-in-production"  # noqa: S105  # nosec B105  # used with DEBUG only

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
# The address in e-mails. Unset, it follows the port `make run PORT=...` serves on.
SITE_URL = env_str("SITE_URL", f"http://localhost:{env_int('PORT', 8000)}").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

INSTALLED_APPS = [
    "accounts",
    "modules",
    "assessments",
    "physio",
    "therapists",
    "research",
    "icbt",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django_htmx",
    "template_partials",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "icbt.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.OnboardingMiddleware",
    "accounts.middleware.SecondFactorChangeMiddleware",
    "accounts.middleware.NoStoreMiddleware",
    "icbt.middleware.FormEncodingMiddleware",
]

ROOT_URLCONF = "icbt.urls"
WSGI_APPLICATION = "icbt.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "icbt.context_processors.platform",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------

# Web, worker and beat share an SQLite file: WAL and a busy timeout let them take turns instead of
# failing with "database is locked" (IMMEDIATE: a transaction takes the write lock when it
# begins, so it waits for its turn rather than failing when it first writes).
_SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
    if _db["ENGINE"] == "django.db.backends.postgresql":
        # No JIT compilation: the platform's queries are short, and once the planner's estimate
        # passes jit_above_cost (a dashboard or reminder sweep over a few thousand participants,
        # an export chunk) compiling took 0.3 to 1 s for a query that runs in milliseconds.
        _options = _db.setdefault("OPTIONS", {})
        _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
        # Values bound on the server, and a statement prepared there once a connection has run
        # it five times (psycopg's threshold): PostgreSQL then parses each statement a page runs
        # once per pooled connection and, where a plan for any values costs no more, plans it
        # once too. At full load a module step cost PostgreSQL 2.4 ms of CPU before, 1.0 after
        # (docs/benchmarks.md). icbt/db/postgresql batches bulk writes under the 65,535
        # parameters a statement so bound can take. Off, values are bound in the client, as
        # Django does by default: for a pooler that cannot keep prepared statements (PgBouncer
        # in transaction mode without max_prepared_statements).
        _db["ENGINE"] = "icbt.db.postgresql"  # also reads timestamps with psycopg's C loader
        if env_bool("DATABASE_PREPARED_STATEMENTS", True):
            _options["server_side_binding"] = True
            _options["prepare_threshold"] = 5
        # Django's own pool (psycopg_pool) replaces persistent connections.
        _options["pool"] = {
            "min_size": env_int("DATABASE_POOL_MIN", 2),
            "max_size": env_int("DATABASE_POOL_MAX", 10),
            "timeout": 10,
        }
    elif _db["ENGINE"] == "django.db.backends.sqlite3":
        _db.setdefault("OPTIONS", {}).update(_SQLITE_OPTIONS)
    DATABASES = {"default": _db}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "db.sqlite3"),
            "OPTIONS": dict(_SQLITE_OPTIONS),
            # A file, not memory, so that a Celery worker started by a test sees the same data.
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Cache and Celery -----------------------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # Redis may go away (restart, failover, a full disk) while people are using the site. Short
    # socket timeouts make an unreachable Redis cost a request a second at most, not a hang:
    # the cache then answers from memory (icbt/cache.py says what that means for rate limits),
    # and a task that cannot be handed to the broker is picked up from the database later (the
    # notification outbox's dispatch sweep; research's weekly sweep for reports and exports).
    CACHES = {
        "default": {
            "BACKEND": "icbt.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "icbt",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1, "retry_after": 5},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": 1,
        # Commands other than the worker's wait for the next message (which does not use it).
        "socket_timeout": 2,
    }
    CELERY_BROKER_CONNECTION_TIMEOUT = 2
else:
    # A cache every process on this machine shares, so rate limits hold across web processes.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }

# What the templates draw the same for everyone alike (`{% cache %}` in partials/nav.html: the
# navigation per language, roles, page and unread count), kept in each process's memory. Its
# invalidation is the deployment: templates, translations and URLs change only with a new
# process, which starts empty.
CACHES["template_fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "template-fragments",
    "OPTIONS": {"MAX_ENTRIES": 2000},
}

# Handing a task to the broker from a request: one quick retry, then give up (the callers catch
# the error and leave the work in the database for a sweep), rather than Celery's default of
# three, which would hold the request for several socket timeouts.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0.2,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
# Tasks declare their own, shorter limits; these are the ceiling for the rest.
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "heartbeat": {"task": "accounts.tasks.record_heartbeat", "schedule": 60.0},
}

# --- Auth, allauth and MFA ------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "accounts.auth_backends.VerifiedEmailBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"signup": "accounts.forms.InvitationSignupForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
# Signup only happens through an invitation sent to the address, which proves it; addresses of
# people created by an admin are verified by the admin who creates them.
ACCOUNT_EMAIL_VERIFICATION = "none"
# A person has one address. A new one is sent a confirmation link and replaces the old only once
# confirmed; until then it signs nobody in (accounts.auth_backends) and takes no address from
# anyone invited to it (accounts.forms.InvitationSignupForm).
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Rate limits are counted per client address. Behind a reverse proxy every request comes from
# the proxy's address, so one person's wrong passwords would lock everyone out: set
# TRUSTED_PROXY_COUNT to the number of proxies in front of gunicorn that append to
# X-Forwarded-For (1 for one TLS proxy), and the client address is taken from that header. Left
# at 0 the header is ignored, since a client can write anything into it.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# Per account ("key"), failed sign-ins are counted in a sliding window of five minutes, so a
# stranger guessing at a named account can hold it shut for five minutes after their last
# guess, never longer, and a password reset lifts it at once.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "10/m/ip,3/5m/key",  # nosec B105  # a rate limit, not a password
    "reset_password_from_key": "20/m/ip",  # nosec B105  # a rate limit, not a password
    "change_password": "5/m/user",  # nosec B105  # a rate limit, not a password
    "signup": "20/m/ip",
}
# Every change of password, e-mail address or second factor sends the owner a security e-mail
# (what changed, when, from which address and browser; never a code or a secret).
ACCOUNT_EMAIL_NOTIFICATIONS = True
# A password, e-mail or second-factor change needs the password (or a second factor) entered
# within this many seconds; removing or replacing a second factor needs the second factor
# itself (accounts.middleware.SecondFactorChangeMiddleware).
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
# Recovery codes are shown once, right after they are made; later they are masked.
MFA_RECOVERY_CODES_SHOW_ONCE = True
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
# Passkeys (WebAuthn): a second factor like the authenticator app, and, for a passkey added as
# "passwordless" (it verifies the person: PIN or biometrics), a sign-in of its own.
MFA_PASSKEY_LOGIN_ENABLED = True
# WebAuthn needs a secure origin; plain http://localhost is allowed for development and tests only.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env_bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", DEBUG)
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "iCBT")
# Key for encrypting TOTP secrets and recovery seeds at rest (Fernet key, urlsafe base64, 32 bytes).
# Without one, a key is derived from SECRET_KEY, which is acceptable only for development.
MFA_ENCRYPTION_KEY = env_str("MFA_ENCRYPTION_KEY")
# Tracked by accounts.middleware.SessionLifetimeMiddleware at most once a minute, with "last
# seen"; allauth's own middleware would write the row on every request.
USERSESSIONS_TRACK_ACTIVITY = True

# Flash messages can quote what a participant wrote (an activity's text): kept in the session,
# in the database, never in a cookie, which is signed but readable.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Sessions -------------------------------------------------------------------------------

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_ABSOLUTE_LIFETIME = env_int("SESSION_ABSOLUTE_LIFETIME", 12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Internationalisation -------------------------------------------------------------------

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media"))))},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- E-mail ---------------------------------------------------------------------------------

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "iCBT <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security -------------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
# Browser features no page uses are switched off for every page (icbt.middleware).
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=()"
)
CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"
# Requests larger than this, or with more fields, are refused with a 400 page that says why
# (icbt.errors). The largest real form (an exercise table of 50 rows) is far below both.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# `seed_demo` creates accounts with a published password: only on a development machine.
ALLOW_DEMO_ACCOUNTS = env_bool("ALLOW_DEMO_ACCOUNTS", DEBUG)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Platform -------------------------------------------------------------------------------

PLATFORM_NAME = env_str("PLATFORM_NAME", "iCBT Stress")
# Shown on every participant page; configurable for other countries.
EMERGENCY_NUMBER = env_str("EMERGENCY_NUMBER", "112")
HEALTH_ADVICE_NUMBER = env_str("HEALTH_ADVICE_NUMBER", "1177")
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 14)
# The admin's invite form: research's adds the study a new participant joins on sign-up.
# Named here, on the top floor, because accounts sits below research and cannot import it.
ACCOUNTS_INVITATION_FORM = "research.invitations.StudyInvitationForm"
CONSENT_VERSION = env_str("CONSENT_VERSION", "2026-1")
# The programme's pace: a module opens at the earliest this many days after the previous one.
PROGRAMME_MIN_DAYS_BETWEEN_MODULES = env_int("PROGRAMME_MIN_DAYS_BETWEEN_MODULES", 7)
# A participant without activity (accounts/activity.py) for N days is inactive: they get a
# reminder, another after 2N days, and after 3N days their therapist is told. The therapist's
# dashboard flags them from N days; the weekly report lists them as at risk from 2N days.
PARTICIPANT_INACTIVE_DAYS = env_int("PARTICIPANT_INACTIVE_DAYS", 7)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Tokens and keys in URL paths (an invitation link, a password-reset link) are redacted
    # from every line, e.g. django.request's "Gone: /invite/<token>/".
    "filters": {"redact_secrets": {"()": "icbt.logredact.RedactSecretsFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Therapists ---------------------------------------------------------------------------------

# Therapist time is derived from page views: one view counts until the next, at most this long.
THERAPISTS_VISIT_CAP_MINUTES = env_int("THERAPISTS_VISIT_CAP_MINUTES", 10)

# --- Notifications ------------------------------------------------------------------------------

# Sweeps write reminders into the outbox (accounts.Notification); the dispatch task sends what is
# due. Both run on beat; the outbox is in the database, so nothing is lost while Redis is down.
CELERY_BEAT_SCHEDULE["notifications-dispatch"] = {
    "task": "accounts.tasks.dispatch_due_notifications",
    "schedule": env_int("NOTIFICATION_DISPATCH_INTERVAL", 60),
}
CELERY_BEAT_SCHEDULE["notifications-sweeps"] = {
    "task": "icbt.tasks.run_reminder_sweeps",
    "schedule": env_int("NOTIFICATION_SWEEP_INTERVAL", 600),
}
# The queue the sender tasks go to; empty means Celery's default queue.
NOTIFICATION_QUEUE = env_str("NOTIFICATION_QUEUE")
# The class that delivers text messages; the console one logs them without the number.
NOTIFICATION_SMS_BACKEND = env_str(
    "NOTIFICATION_SMS_BACKEND", "accounts.notifications.channels.ConsoleSmsBackend"
)
# A failed send is tried again after BASE, 2 BASE, 4 BASE... seconds (at most 30 minutes apart),
# and marked failed after MAX_ATTEMPTS tries.
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 5)
NOTIFICATION_RETRY_BASE_SECONDS = env_int("NOTIFICATION_RETRY_BASE_SECONDS", 60)
# A row claimed for sending longer ago than this belongs to a worker that died; it must be
# well above the sender task's hard time limit (60 s).
NOTIFICATION_SENDING_TIMEOUT = env_int("NOTIFICATION_SENDING_TIMEOUT", 15 * 60)
# How many due rows one dispatch run hands to the broker.
NOTIFICATION_DISPATCH_BATCH = env_int("NOTIFICATION_DISPATCH_BATCH", 500)
# Defaults for people who have not changed their preferences (local time, their time zone).
NOTIFICATION_QUIET_HOURS_START = env_str("NOTIFICATION_QUIET_HOURS_START", "21:00")
NOTIFICATION_QUIET_HOURS_END = env_str("NOTIFICATION_QUIET_HOURS_END", "08:00")
NOTIFICATION_MAX_PER_KIND_PER_WEEK = env_int("NOTIFICATION_MAX_PER_KIND_PER_WEEK", 7)
# The therapists' daily summary goes out after this hour, their local time.
NOTIFICATION_DIGEST_HOUR = env_int("NOTIFICATION_DIGEST_HOUR", 7)
# At most one "new message" notice per person in this many minutes, however many arrive.
NOTIFICATION_NEW_MESSAGE_WINDOW_MINUTES = env_int("NOTIFICATION_NEW_MESSAGE_WINDOW_MINUTES", 60)
# Where Django's file-based e-mail backend writes (EMAIL_BACKEND=...filebased.EmailBackend).
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))

# --- Assessments ----------------------------------------------------------------------------

# The clinic's licensed item texts (YAML or JSON; docs/instrument-texts.md). A licensed
# instrument is asked only in the languages whose texts this file holds; until then it waits.
INSTRUMENT_TEXTS_FILE = env_str("INSTRUMENT_TEXTS_FILE")
# Items per questionnaire page: few, for people with pain and fatigue.
ASSESSMENTS_ITEMS_PER_PAGE = env_int("ASSESSMENTS_ITEMS_PER_PAGE", 5)
# Gives each participant's start date, from which questionnaire windows are counted. A trial that
# counts follow-ups from randomisation sets "research.models.start_from_randomisation".
ASSESSMENTS_START_DATE_PROVIDER = env_str(
    "ASSESSMENTS_START_DATE_PROVIDER", "assessments.schedules.start_from_date_joined"
)
# Remind participants by e-mail or text when a questionnaire opens (through the notification
# outbox, once per questionnaire).
ASSESSMENTS_REMINDERS = env_bool("ASSESSMENTS_REMINDERS", True)
# A questionnaire open this long and not yet sent shows up in the therapist's triage queue.
ASSESSMENTS_OVERDUE_AFTER_DAYS = env_int("ASSESSMENTS_OVERDUE_AFTER_DAYS", 14)
# Scores a participant sees of their own results ("instrument.scale"): symptoms they follow
# themselves, not screening categories.
ASSESSMENTS_PARTICIPANT_SCALES = [
    "pain_vas.pain",
    "fatigue_vas.fatigue",
    "pain_locations.count",
    "pss10.total",
]
# Scores that raise a risk flag for the therapist (assessments/flags.py). HADS cut-offs after
# Zigmond & Snaith 1983: 11 or more is a probable case; above 15 calls for a psychologist.
ASSESSMENTS_RISK_RULES: list[dict[str, object]] = [
    {"instrument": "hads", "scale": "anxiety", "at_least": 11, "level": "probable_case"},
    {"instrument": "hads", "scale": "anxiety", "above": 15, "level": "refer"},
    {"instrument": "hads", "scale": "depression", "at_least": 11, "level": "probable_case"},
    {"instrument": "hads", "scale": "depression", "above": 15, "level": "refer"},
]
# A risk flag goes to the participant's therapist, or to their site's responsible staff member
# (Site.responsible_staff, set in the Django admin) when they have none. One not acknowledged
# within this many hours is escalated: the site's responsible staff member (or, if the site has
# none, its research admins) is told by e-mail that a flag needs attention, once per flag
# (assessments.notifications.escalate_unacknowledged_flags). A flag nobody could be named for
# is escalated at the next sweep.
RISK_FLAG_ESCALATE_AFTER_HOURS = env_int("RISK_FLAG_ESCALATE_AFTER_HOURS", 48)

# --- Research -------------------------------------------------------------------------------

# Block sizes of a new study's allocation sequence, as multiples of the sum of the arm weights
# (chosen at random for each block); each study can change its own before randomisation starts.
RESEARCH_BLOCK_MULTIPLIERS = [2, 4]
# How many blocks are generated at a time when a stratum's sequence runs out.
RESEARCH_BLOCKS_PER_EXTENSION = env_int("RESEARCH_BLOCKS_PER_EXTENSION", 10)
# Participants read per database round trip while exporting (memory stays flat).
RESEARCH_EXPORT_CHUNK_SIZE = env_int("RESEARCH_EXPORT_CHUNK_SIZE", 500)

# --- Reports --------------------------------------------------------------------------------

# Weekly adherence reports (PDF) per therapist and per study, made by a Celery task and stored in
# the default storage. Beat runs the sweep this often; it makes each report once per week.
CELERY_BEAT_SCHEDULE["reports-weekly"] = {
    "task": "research.tasks.generate_weekly_reports",
    "schedule": env_int("REPORTS_SWEEP_INTERVAL", 3600),
}
# Weeks shown in the report's "active participants per week" chart.
REPORTS_WEEKS_SHOWN = env_int("REPORTS_WEEKS_SHOWN", 8)
# A participant is "at risk" when inactive 2 PARTICIPANT_INACTIVE_DAYS, or this many modules
# behind the programme's pace (one module every PROGRAMME_MIN_DAYS_BETWEEN_MODULES days).
REPORTS_AT_RISK_MODULES_BEHIND = env_int("REPORTS_AT_RISK_MODULES_BEHIND", 2)
# A reminder "worked" when the participant did anything within this many hours of it.
REPORTS_REMINDER_EFFECT_HOURS = env_int("REPORTS_REMINDER_EFFECT_HOURS", 48)
# Adherence exports: an Excel file is built by a worker and kept this many days.
REPORTS_EXPORT_KEEP_DAYS = env_int("REPORTS_EXPORT_KEEP_DAYS", 7)
