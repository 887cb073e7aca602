"""Real processes for the failure drills: a private redis-server, a web server (gunicorn), Celery
workers and beat, all against the test database (tests.helpers.subprocess_env)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
import requests

from tests.helpers import PYTHON, ROOT, subprocess_env

REDIS_SERVER = "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def log_tail(path: Path, size: int = 3000) -> str:
    return path.read_text(errors="replace")[-size:] if path.exists() else f"(no {path.name})"


class PrivateRedis:
    """A redis-server of the test's own, on a free port, that the test may freeze, kill and
    start again (on the same port). Never the shared one."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=(self.folder / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        assert wait_for(self.answers, 10), log_tail(self.folder / "redis.log")

    def answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def freeze(self) -> None:
        """Still accepting connections, never answering: the case that needs timeouts."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def kill(self) -> None:
        assert self.process is not None
        # Frozen or not: SIGKILL ends it without its handling anything still waiting.
        self.process.kill()
        self.process.wait(timeout=10)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()


class Processes:
    """Starts the platform's processes and stops them all at the end of the test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[subprocess.Popen[bytes]] = []

    def _start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            command,
            env=subprocess_env(**env),
            cwd=ROOT,
            stdout=(self.folder / f"{name}.log").open("ab"),
            stderr=subprocess.STDOUT,
            # Its own process group, so that stopping it stops any children too.
            start_new_session=True,
        )
        self.started.append(process)
        return process

    def web(self, *, workers: int = 2, threads: int = 8, **env: str) -> str:
        """A gunicorn server; returns its base URL once /healthz answers."""
        port = free_port()
        process = self._start(
            "web",
            [
                PYTHON,
                "-m",
                "gunicorn",
                "icbt.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--timeout",
                "60",
            ],
            env,
        )
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            assert process.poll() is None, log_tail(self.folder / "web.log")
            try:
                requests.get(f"{base}/healthz", timeout=5)
            except requests.RequestException:
                return False
            return True

        assert wait_for(up, 30), log_tail(self.folder / "web.log")
        return base

    def worker(
        self, *, name: str = "worker", queue: str = "", **env: str
    ) -> subprocess.Popen[bytes]:
        command = [PYTHON, "-m", "celery", "-A", "icbt", "worker", "--pool=solo"]
        command += ["--without-mingle", "--without-gossip", "--loglevel=warning"]
        if queue:
            command += ["-Q", queue]
        return self._start(name, command, env)

    def beat(self, **env: str) -> subprocess.Popen[bytes]:
        schedule = str(self.folder / "celerybeat-schedule")
        command = [PYTHON, "-m", "celery", "-A", "icbt", "beat", "-s", schedule]
        return self._start("beat", [*command, "--loglevel=warning"], env)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{log_tail(path, 2000)}" for path in sorted(self.folder.glob("*.log"))
        )

    def close(self) -> None:
        for process in reversed(self.started):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for process in self.started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@contextmanager
def processes(folder: Path) -> Iterator[Processes]:
    running = Processes(folder)
    try:
        yield running
    finally:
        running.close()
