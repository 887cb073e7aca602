"""docker-compose.yml's topology, started natively for tests/production/: the build script into
a throwaway STATIC_ROOT, the one-off migrate service, two web processes behind one address,
two Celery workers, one beat, PostgreSQL and Redis (a database and a db number of their own)
and an SMTP catcher. Every process starts through scripts/start.sh, as in docker-compose.yml,
with DEBUG=0 and production settings, and nothing of the test's own environment."""

from __future__ import annotations

import email
import json
import logging
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import psycopg
import redis
import requests
from aiosmtpd.controller import Controller
from cryptography.fernet import Fernet

from tests.drills.processes import Processes, free_port, log_tail, wait_for
from tests.helpers import ROOT, require_service

# aiosmtpd logs every SMTP command at INFO.
logging.getLogger("mail.log").setLevel(logging.WARNING)

DATABASE = "icbt_prodshape"
REDIS_DB = 11
START = str(ROOT / "scripts" / "start.sh")
BUILD = str(ROOT / "scripts" / "build.sh")


def _server_urls() -> tuple[str, str]:
    """The PostgreSQL and Redis servers to use: those of the environment, else the local ones."""
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith(("postgres://", "postgresql://")):
        database = "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(database)
    server = parts._replace(path="/postgres").geturl()
    broker = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    redis_server = urlsplit(broker)._replace(path=f"/{REDIS_DB}").geturl()
    return server, redis_server


def _answers(check: Any) -> bool:
    try:
        check()
    except Exception:
        return False
    return True


# --- The SMTP catcher -------------------------------------------------------------------------


class Mailbox:
    """What the platform hands to SMTP, one parsed message each."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in str(m.get("To", ""))]


# --- One address in front of the web processes -----------------------------------------------


class RoundRobinProxy:
    """A TCP proxy: each connection goes to the next web process in turn, as a load balancer's
    would. It stands where the TLS-terminating proxy stands; the client adds the header that
    proxy adds (X-Forwarded-Proto)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.backends: list[int] = []
        self.served: list[int] = []
        self._stopped = threading.Event()

    def start(self, backends: list[int]) -> None:
        self.backends = backends
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        turn = 0
        while not self._stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            backend = self.backends[turn % len(self.backends)]
            turn += 1
            self.served.append(backend)
            try:
                upstream = socket.create_connection(("127.0.0.1", backend), timeout=30)
            except OSError:
                client.close()
                continue
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, target):
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._stopped.set()
        self.listener.close()


# --- A browser-like HTTP client ----------------------------------------------------------------


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Client:
    """Speaks to the platform as a browser behind the TLS proxy would: X-Forwarded-Proto https,
    an Origin for the CSRF check, and the Secure cookies sent back (requests keeps those for
    https URLs only; the hop here is plain HTTP, as behind a real proxy). One connection per
    request, so that the round-robin proxy spreads them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = urljoin(self.base, path)
        for _ in range(10):
            host = urlsplit(url).netloc
            headers = {
                "X-Forwarded-Proto": "https",
                "Origin": f"https://{host}",
                "Connection": "close",
                **kwargs.pop("headers", {}),
            }
            response = self.session.request(
                method, url, headers=headers, allow_redirects=False, timeout=30, **kwargs
            )
            for cookie in self.session.cookies:
                cookie.secure = False
            if response.status_code not in (301, 302, 303) or "Location" not in response.headers:
                return response
            # An https:// Location is the TLS proxy's address; this hop is plain HTTP.
            target = urlsplit(urljoin(url, response.headers["Location"]))
            url = target._replace(scheme="http").geturl()
            method, kwargs = "GET", {}
        raise AssertionError(f"too many redirects from {path}")

    def get(self, path: str) -> requests.Response:
        return self.request("GET", path)

    def post_form(self, path: str, data: dict[str, str]) -> requests.Response:
        """GET the form, then POST it with its CSRF token, as a person filling it in would."""
        page = self.get(path)
        match = CSRF.search(page.text)
        assert match, (path, page.status_code, page.text[:2000])
        return self.request("POST", page.url, data={**data, "csrfmiddlewaretoken": match[1]})


# --- The topology --------------------------------------------------------------------------


@dataclass
class Topology:
    folder: Path
    env: dict[str, str]
    processes: Processes
    proxy: RoundRobinProxy
    mailbox: Mailbox
    database_url: str
    web_ports: list[int]
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    people: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.proxy.port}"

    def web(self, index: int) -> str:
        return f"http://127.0.0.1:{self.web_ports[index]}"

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            cursor = connection.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def logs(self) -> str:
        return self.processes.logs()


class ServiceProcesses(Processes):
    """The drills' process keeper, with the topology's environment instead of the test's."""

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=(self.folder / f"{name}.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append(process)
        return process


def _run(name: str, command: list[str], env: dict[str, str], folder: Path, timeout: float) -> str:
    done = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    (folder / f"{name}.log").write_text(done.stdout + done.stderr)
    assert done.returncode == 0, f"{name} failed:\n{(done.stdout + done.stderr)[-3000:]}"
    return done.stdout


def _environment(folder: Path, database_url: str, redis_url: str, proxy: int, smtp: int) -> dict:
    python = Path(sys.executable)
    return {
        # Only what docker-compose.yml sets (and what a container has): none of the test's own
        # settings (DEBUG=1, e-mail backends) leak into the services.
        "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(folder),
        "LANG": "C.UTF-8",
        "PYTHON": str(python),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "MFA_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"https://127.0.0.1:{proxy}",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp),
        "DEFAULT_FROM_EMAIL": "iCBT <no-reply@prodshape.example>",
        "BEHIND_TLS_PROXY": "1",
        "VAR_DIR": str(folder / "var"),
        "MEDIA_ROOT": str(folder / "media"),
        "STATIC_ROOT": str(folder / "static"),
        "BEAT_SCHEDULE": str(folder / "beat" / "celerybeat-schedule"),
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "4",
        "CELERY_CONCURRENCY": "1",
        # Beat's periods, shortened so that the test waits seconds, not minutes.
        "NOTIFICATION_DISPATCH_INTERVAL": "2",
        "NOTIFICATION_SWEEP_INTERVAL": "3",
        "REPORTS_SWEEP_INTERVAL": "3",
        "PRODSHAPE_HOLD_DIR": str(folder / "hold"),
    }


@contextmanager
def topology(folder: Path, hold_therapist: bool = True) -> Iterator[Topology]:
    server, redis_url = _server_urls()
    require_service(
        _answers(lambda: psycopg.connect(server, connect_timeout=3).close()),
        f"PostgreSQL at {server} does not answer",
    )
    require_service(
        _answers(lambda: redis.Redis.from_url(redis_url, socket_timeout=2).ping()),
        f"Redis at {redis_url} does not answer",
    )
    require_service(shutil.which("msgfmt") is not None, "msgfmt (gettext) is needed to build")
    database_url = urlsplit(server)._replace(path=f"/{DATABASE}").geturl()
    broker = redis.Redis.from_url(redis_url)
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    broker.flushdb()
    for name in ("logs", "var", "media", "beat", "hold"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    proxy = RoundRobinProxy()
    env = _environment(folder, database_url, redis_url, proxy.port, smtp.port)
    logs = folder / "logs"
    processes = ServiceProcesses(logs)
    try:
        _run("build", [BUILD], {**env, "BUILD_INSTALL": "0"}, logs, 240)
        _run("migrate", [START, "migrate"], env, logs, 240)
        people = json.loads(
            _run(
                "seed",
                [str(Path(sys.executable)), "-m", "tests.production.scenario"],
                env,
                logs,
                60,
            )
        )
        if hold_therapist:
            (folder / "hold" / "hold").write_text(str(people["held_therapist"]))
        ports = [free_port(), free_port()]
        for index, port in enumerate(ports):
            processes.start(f"web-{index}", [START, "web"], {**env, "BIND": f"127.0.0.1:{port}"})
        running = Topology(folder, env, processes, proxy, mailbox, database_url, ports)
        running.people = people
        for name in ("worker-a", "worker-b"):
            running.workers[name] = processes.start(
                name,
                [START, "worker", "--hostname", f"{name}@%h", "--include", "tests.production.hold"],
                {**env, "PRODSHAPE_WORKER": name},
            )
        processes.start("beat", [START, "beat"], env)
        for index, port in enumerate(ports):
            check = [START, "healthcheck"]
            ready = {**env, "BIND": f"127.0.0.1:{port}"}

            def up(check: list[str] = check, ready: dict[str, str] = ready) -> bool:
                return subprocess.run(check, env=ready, capture_output=True).returncode == 0

            assert wait_for(up, 60, interval=0.5), log_tail(logs / f"web-{index}.log")
        proxy.start(ports)
        yield running
    finally:
        proxy.close()
        processes.close()
        smtp.stop()
        broker.flushdb()
        broker.close()
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
