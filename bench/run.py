"""Load tests and benchmarks: `make bench` (PARTICIPANTS=2000 THERAPISTS=20), or

    .venv/bin/python -m bench.run [--participants 2000] [--therapists 20] [--duration 30] ...

1. Creates a fresh PostgreSQL database (--database, dropped first), migrates, loads the
   programme and seeds it (manage.py seed_bench).
2. Serves it with gunicorn on 127.0.0.1 (a free port; 2 x cores + 1 sync workers unless
   --workers), production settings (DEBUG off) except TLS, through bench/wsgi.py, which records
   SQL queries and server time per request.
3. Signs the staff accounts in through the real sign-in form (password, then the TOTP code);
   participants get a session minted in the database (the sign-in form allows 30 sign-ins a
   minute from one address, fewer than the scenarios need).
4. Runs locust headless, one scenario at a time, --users users for --duration seconds, without
   think time, the bare authenticated view first, then again paced (--pacing seconds between
   one user's requests); then --rounds interleaved rounds of the scenarios the ratio budgets
   compare (the bare view, the participant pages, the dashboards), --round-duration seconds
   each, one after the other in every round; then 100 participants autosaving for a minute
   and checks every acknowledged answer against the database; then the reminder sweeps over the
   seeded population; then seeds the export studies and downloads each CSV export once while
   sampling the memory of the server's workers.
5. Writes the results into docs/benchmarks.md between its markers (the text around them is
   kept) and prints them.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
REPORT = ROOT / "docs" / "benchmarks.md"
START_MARK = "<!-- bench:results:start -->"
END_MARK = "<!-- bench:results:end -->"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Scenario:
    key: str
    user_class: str
    title: str
    # (method, path) of the measured request in the query log; the path may be a regex.
    method: str
    path: str
    group: str  # "participant", "therapist" or "reference"


SCENARIOS = [
    Scenario(
        "bare", "BareView", "bare authenticated view", "GET", "/programme/session/", "reference"
    ),
    Scenario("home", "ParticipantHome", "participant home", "GET", "/", "participant"),
    Scenario("module", "ModulePage", "module page", "GET", "/programme/1/", "participant"),
    Scenario(
        "step", "ModuleStep", "module step", "GET", "/programme/1/starting-point/", "participant"
    ),
    Scenario(
        "autosave",
        "Autosave",
        "autosave",
        "POST",
        "/programme/1/starting-point/save/",
        "participant",
    ),
    Scenario("message", "MessageSend", "message send", "POST", "/messages/", "participant"),
    Scenario(
        "dashboard_small",
        "Dashboard100",
        "therapist dashboard (small caseload)",
        "GET",
        "/care/",
        "therapist",
    ),
    Scenario(
        "dashboard_big",
        "Dashboard1000",
        "therapist dashboard (big caseload)",
        "GET",
        "/care/",
        "therapist",
    ),
]


@dataclass
class Result:
    scenario: Scenario
    requests: int = 0
    failures: int = 0
    p50: float = 0.0
    p95: float = 0.0
    rps: float = 0.0
    server_p50: float = 0.0
    server_p95: float = 0.0
    sql_p50: float = 0.0
    queries: list[int] = field(default_factory=list)
    note: str = ""

    @property
    def queries_text(self) -> str:
        if not self.queries:
            return "-"
        low, high = min(self.queries), max(self.queries)
        return f"{self.usual_queries}" if low == high else f"{self.usual_queries} ({low}-{high})"

    @property
    def usual_queries(self) -> int:
        """The most common count: the page itself, without the occasional session write."""
        return statistics.mode(self.queries) if self.queries else 0


# --- environment, database, server ---------------------------------------------------------------


def bench_env(args: argparse.Namespace, work: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": args.database,
        "REDIS_URL": args.redis,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": "http://127.0.0.1",
        # Plain HTTP on the loopback: no TLS redirect, cookies without the Secure flag.
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "VAR_DIR": str(work / "var"),
        "MEDIA_ROOT": str(work / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "DATABASE_POOL_MAX": str(args.pool),
        "BENCH_QUERY_LOG": str(work / "queries"),
        "DJANGO_SETTINGS_MODULE": "icbt.settings",
    }


def manage(*command: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, check=True)  # noqa: S603
    return time.perf_counter() - started


def recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    if not re.fullmatch(r"[a-z0-9_]+", name) or "bench" not in name:
        raise SystemExit(f"Refusing to drop {name!r}: the benchmark database's name needs 'bench'.")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")


def vacuum_unless_autovacuum(url: str) -> None:
    """What autovacuum does on a running platform, where the server has it off: without it the
    rows each scenario updates (page views settled, people seen) stay in the tables as dead
    versions, and every later scenario reads past them (the dashboard at 1,000 after the rest
    of a run: 18 ms of SQL with a vacuum, 24 without). With autovacuum on, nothing is done."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        setting = connection.execute("SHOW autovacuum").fetchone()
        if setting is not None and setting[0] == "off":
            connection.execute("VACUUM ANALYZE")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(port: int, workers: int, work: Path) -> Iterator[psutil.Process]:
    log = open(work / "gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(  # noqa: S603
        [
            str(VENV_BIN / "gunicorn"),
            "bench.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "300",
            "--backlog",
            "2048",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or its workers still starting on a busy machine
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"gunicorn did not start; see {work / 'gunicorn.log'}")
            time.sleep(0.5)
        yield psutil.Process(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


# --- signing in --------------------------------------------------------------------------------


def totp_code(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return str(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))


def sign_in_staff(base: str, email: str, password: str, secret: str) -> dict[str, str]:
    """The real sign-in: the form, then the second factor."""
    for _attempt in range(3):
        session = requests.Session()
        page = session.get(f"{base}/accounts/login/", timeout=30)
        token = CSRF.search(page.text)
        assert token is not None, "no sign-in form"
        answer = session.post(
            f"{base}/accounts/login/",
            data={"csrfmiddlewaretoken": token.group(1), "login": email, "password": password},
            timeout=30,
        )
        token = CSRF.search(answer.text)
        if "2fa" not in answer.url or token is None:
            raise SystemExit(f"signing in {email} did not ask for a code ({answer.url})")
        done = session.post(
            answer.url,
            data={"csrfmiddlewaretoken": token.group(1), "code": totp_code(secret)},
            timeout=30,
        )
        if "2fa" not in done.url:
            return {name: value or "" for name, value in session.cookies.get_dict().items()}
        # A code is accepted once: wait for the next one.
        time.sleep(31 - time.time() % 30)
    raise SystemExit(f"could not sign in {email}")


def mint_sessions(count: int) -> list[dict[str, str]]:
    """Sessions as the sign-in form would leave them, for the first `count` participants."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User

    people = []
    for user in User.objects.filter(email__startswith="bench.p").order_by("email")[:count]:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store["signed_in_at"] = int(time.time())
        store.create()
        people.append({"email": user.email, "sessionid": store.session_key or ""})
    return people


# --- measuring -----------------------------------------------------------------------------------


def read_query_log(work: Path) -> list[tuple[str, str, str, int, float, float]]:
    """(method, path, status, queries, server ms, SQL ms) of every request since the last clear."""
    rows = []
    for path in (work / "queries").glob("*.tsv"):
        for line in path.read_text().splitlines():
            method, url, status, queries, ms, sql_ms = line.split("\t")
            rows.append((method, url, status, int(queries), float(ms), float(sql_ms)))
    return rows


def clear_query_log(work: Path) -> None:
    shutil.rmtree(work / "queries", ignore_errors=True)
    (work / "queries").mkdir(parents=True, exist_ok=True)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_locust(
    scenario: Scenario,
    *,
    base: str,
    users: int,
    duration: int,
    work: Path,
    env: dict[str, str],
    pacing: float = 0,
) -> Result:
    clear_query_log(work)
    vacuum_unless_autovacuum(env["DATABASE_URL"])
    prefix = work / f"locust-{scenario.key}-{pacing:g}"
    output = open(f"{prefix}.log", "w")  # noqa: SIM115
    subprocess.run(  # noqa: S603
        [
            str(VENV_BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--host",
            base,
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{duration}s",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--exit-code-on-error",
            "0",
            # Users finish the request under way when the time is up, rather than dropping it.
            "--stop-timeout",
            "30",
            scenario.user_class,
        ],
        cwd=ROOT,
        env={**os.environ, **env, "BENCH_PACING": str(pacing)},
        check=True,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    output.close()
    result = Result(scenario)
    with open(f"{prefix}_stats.csv", newline="") as stats:
        for row in csv.DictReader(stats):
            if row["Name"] == scenario.title:
                result.requests = int(row["Request Count"])
                result.failures = int(row["Failure Count"])
                result.p50 = float(row["50%"])
                result.p95 = float(row["95%"])
                result.rps = float(row["Requests/s"])
            elif row["Name"] != "Aggregated" and int(row["Failure Count"]):
                result.failures += int(row["Failure Count"])
                result.note = f"failures while opening pages ({row['Name']})"
    measured = [
        row for row in read_query_log(work) if row[0] == scenario.method and row[1] == scenario.path
    ]
    result.queries = [row[3] for row in measured]
    times = [row[4] for row in measured]
    result.server_p50, result.server_p95 = percentile(times, 0.5), percentile(times, 0.95)
    result.sql_p50 = percentile([row[5] for row in measured], 0.5)
    return result


# What the ratio budgets compare, run in turn in each interleaved round: (key, pacing or None
# for the run's own pacing).
ROUND_RUNS = [
    ("bare", 0.0),
    ("home", 0.0),
    ("module", 0.0),
    ("step", 0.0),
    ("dashboard_small", 0.0),
    ("dashboard_big", 0.0),
    ("dashboard_small", None),
    ("dashboard_big", None),
]


def interleaved_rounds(
    args: argparse.Namespace, *, base: str, work: Path, env: dict[str, str], only: set[str]
) -> list[dict[tuple[str, float], Result]]:
    """The scenarios the ratio budgets compare, run in turn, round after round: each ratio is
    then read between runs a minute apart, not between runs several minutes apart. On a shared
    machine the bare view alone moved from 197 to 347 requests a second between two runs of
    the same code, the pages it is compared with not at all."""
    by_key = {scenario.key: scenario for scenario in SCENARIOS}
    rounds = []
    for number in range(1, args.rounds + 1):
        found: dict[tuple[str, float], Result] = {}
        for key, pacing in ROUND_RUNS:
            if only and key not in only and key != "bare":
                continue
            pace = args.pacing if pacing is None else pacing
            if pacing is None and pace <= 0:
                continue
            print(f"Round {number}: {by_key[key].title}, pacing {pace:g} s", flush=True)
            found[(key, pace)] = run_locust(
                by_key[key],
                base=base,
                users=args.users,
                duration=args.round_duration,
                work=work,
                env=env,
                pacing=pace,
            )
        rounds.append(found)
    return rounds


def warm_up(base: str, credentials: dict[str, Any]) -> None:
    """Every worker imports, compiles templates and opens its pool before anything counts."""
    participant = requests.Session()
    participant.cookies.set("sessionid", credentials["participants"][0]["sessionid"])
    therapist = requests.Session()
    for name, value in credentials["staff"]["therapist_small"].items():
        therapist.cookies.set(name, value)
    for _round in range(15):
        for url in ("/programme/session/", "/", "/programme/1/", "/programme/1/starting-point/"):
            participant.get(base + url, timeout=60)
        participant.get(base + "/messages/", timeout=60)
        therapist.get(base + "/care/", timeout=60)


def autosave_minute(
    *, base: str, users: int, duration: int, work: Path, env: dict[str, str]
) -> dict[str, Any]:
    """`users` participants autosave their own answer, one save a second each, for `duration`
    seconds; then every participant's stored answer must be the last one the server
    acknowledged, and every acknowledged save must be in the answer's history."""
    from modules.models import Answer, AnswerRevision, Step

    out = work / "autosave.json"
    out.unlink(missing_ok=True)
    scenario = Scenario(
        "autosave_minute", "Autosave", "autosave", "POST", "/programme/1/starting-point/save/", ""
    )
    result = run_locust(
        scenario,
        base=base,
        users=users,
        duration=duration,
        work=work,
        env={**env, "BENCH_AUTOSAVE_OUT": str(out)},
        pacing=1,
    )
    acknowledged: dict[str, dict[str, Any]] = json.loads(out.read_text()) if out.exists() else {}
    step = Step.objects.active().get(module__number=1, slug="starting-point")
    lost, mismatched, in_flight = 0, 0, 0
    for email, last in acknowledged.items():
        answer = Answer.objects.filter(participant__email=email, step=step).first()
        if last["value"] is None:
            continue
        stored = answer.data.get("reason") if answer is not None else None
        if answer is not None and stored == last["value"] and answer.revision == last["revision"]:
            pass
        elif (
            answer is not None
            and stored == last["pending"]
            and answer.revision == last["revision"] + 1
        ):
            # Saved by the server as the run stopped, before its answer reached the client.
            in_flight += 1
        else:
            mismatched += 1
        kept = AnswerRevision.objects.filter(
            answer=answer,
            accepted=True,
            data__reason__startswith=f"{email} {last['tag']} draft ",
        ).count()
        lost += max(0, last["saves"] - kept)
    return {
        "result": result,
        "participants": len(acknowledged),
        "saves": sum(last["saves"] for last in acknowledged.values()),
        "mismatched": mismatched,
        "in_flight": in_flight,
        "lost": lost,
    }


def reminder_sweeps() -> list[dict[str, Any]]:
    """Each reminder sweep over the seeded population, timed, with its query count."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from icbt.tasks import REMINDER_SWEEPS, sweep_name

    population = User.objects.participants().count()
    rows = []
    for sweep in REMINDER_SWEEPS:
        name = sweep_name(sweep)
        counter = [0]

        def count(execute: Callable[..., Any], *args: Any, counter: list[int] = counter) -> Any:
            counter[0] += 1
            return execute(*args)

        started = time.perf_counter()
        with connection.execute_wrapper(count), transaction.atomic():
            written = sweep(timezone.now())
        seconds = time.perf_counter() - started
        rows.append(
            {
                "name": name,
                "population": population,
                "written": written,
                "seconds": seconds,
                "queries": counter[0],
            }
        )
    return rows


def measure_export(
    base: str, url: str, cookies: dict[str, str], server: psutil.Process
) -> dict[str, Any]:
    """Download one export to nowhere while sampling every worker's resident memory."""
    workers = server.children()
    baseline = {worker.pid: worker.memory_info().rss for worker in workers}
    peaks = dict(baseline)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for worker in workers:
                with suppress(psutil.NoSuchProcess):
                    peaks[worker.pid] = max(peaks[worker.pid], worker.memory_info().rss)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    session = requests.Session()
    for name, value in cookies.items():
        session.cookies.set(name, value)
    started = time.perf_counter()
    size = lines = 0
    with session.get(base + url, stream=True, timeout=3600) as response:
        status = response.status_code
        with open(os.devnull, "wb") as sink:
            for chunk in response.iter_content(chunk_size=65536):
                size += len(chunk)
                lines += chunk.count(b"\n")
                sink.write(chunk)
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    serving = max(workers, key=lambda worker: peaks[worker.pid] - baseline[worker.pid])
    return {
        "status": status,
        "seconds": seconds,
        "bytes": size,
        "lines": lines,
        "rss_before": baseline[serving.pid],
        "rss_peak": peaks[serving.pid],
    }


# --- the report ----------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        model = found.group(1).strip() if found else ""
    import django

    return {
        "cpus": str(os.cpu_count()),
        "cpu": model or platform.processor(),
        "memory": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgres": postgres,
    }


def ms(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def render(report: dict[str, Any]) -> str:
    results: list[Result] = report["results"]
    by_key = {result.scenario.key: result for result in results}
    bare = by_key["bare"]
    lines = [
        START_MARK,
        "",
        f"Run finished {report['finished']} UTC, in {report['total_minutes']:.0f} minutes.",
        "",
        f"Command: {report['command']}",
        "",
        "| Machine | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in report["machine"].items()),
        f"| load average (1 min) before / after | {report['load_before']} / "
        f"{report['load_after']} |",
        "",
        f"Data: {report['participants']:,} participants with full histories, "
        f"{report['therapists']} therapists (caseloads of {report['caseloads']}), "
        f"seeded in {report['seed_seconds']:.0f} s. Server: gunicorn, {report['workers']} sync "
        f"workers, PostgreSQL on 127.0.0.1, DEBUG off. Load: locust, {report['users']} users "
        f"without think time, {report['duration']} s per scenario, on the same machine.",
        "",
        "At full load (no think time):",
        "",
        "| Scenario | requests | failures | p50 ms | p95 ms | req/s | req/s vs bare | "
        "p95 vs bare | server p50 / p95 ms | SQL ms (p50) | SQL queries / request: usual (range) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        ratio_rps = result.rps / bare.rps if bare.rps else 0
        ratio_p95 = result.p95 / bare.p95 if bare.p95 else 0
        lines.append(
            f"| {result.scenario.title} | {result.requests:,} | {result.failures} | "
            f"{ms(result.p50)} | {ms(result.p95)} | {result.rps:.1f} | {ratio_rps:.2f} | "
            f"{ratio_p95:.1f} | {ms(result.server_p50)} / {ms(result.server_p95)} | "
            f"{ms(result.sql_p50)} | {result.queries_text} |"
        )
    paced: list[Result] = report["paced"]
    if paced:
        lines += [
            "",
            f"Paced: the same {report['users']} users, each starting a request every "
            f"{report['pacing']:g} s (at most {report['users'] / report['pacing']:.0f} req/s):",
            "",
            "| Scenario | requests | failures | p50 ms | p95 ms | req/s | server p50 / p95 ms | "
            "SQL ms (p50) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for result in paced:
            lines.append(
                f"| {result.scenario.title} | {result.requests:,} | {result.failures} | "
                f"{ms(result.p50)} | {ms(result.p95)} | {result.rps:.1f} | "
                f"{ms(result.server_p50)} / {ms(result.server_p95)} | {ms(result.sql_p50)} |"
            )
    lines += render_rounds(report)
    lines += ["", "Exports (one download at a time, streamed to /dev/null):", ""]
    lines += [
        "| Export | participants | time s | size MB | rows | SQL queries | "
        "worker memory before → peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for export in report["exports"]:
        lines.append(
            f"| {export['name']} | {export['participants']:,} | {export['seconds']:.1f} | "
            f"{export['bytes'] / 1e6:.1f} | {max(0, export['lines'] - 1):,} | "
            f"{export['queries']} | {export['rss_before'] / 2**20:.0f} → "
            f"{export['rss_peak'] / 2**20:.0f} |"
        )
    lines += [
        "",
        f"Reminder sweeps over {report['sweep_population']:,} participants (each sweep in one "
        "transaction, as the task runs it; dispatch to the broker not included):",
        "",
        "| Sweep | reminders written | time s | participants / s | SQL queries |",
        "|---|---:|---:|---:|---:|",
    ]
    for sweep in report["sweeps"]:
        rate = sweep["population"] / sweep["seconds"] if sweep["seconds"] else 0
        lines.append(
            f"| {sweep['name']} | {sweep['written']} | {sweep['seconds']:.2f} | {rate:,.0f} | "
            f"{sweep['queries']} |"
        )
    autosave = report["autosave"]
    minute: Result = autosave["result"]
    lines += [
        "",
        f"Autosave minute: {autosave['participants']} participants, one save a second each for "
        f"{report['autosave_duration']} s: {autosave['saves']:,} saves acknowledged, "
        f"{minute.failures} errors, {autosave['mismatched']} stored answers different from the "
        f"last acknowledged one ({autosave['in_flight']} newer, saved as the run stopped), "
        f"{autosave['lost']} acknowledged saves missing from the history "
        f"(p50 {ms(minute.p50)} ms, p95 {ms(minute.p95)} ms).",
        "",
        "Budgets (../shared/DESIGN.md):",
        "",
        "| Budget | measured | |",
        "|---|---|---|",
    ]
    if not {"bare", "home", "module", "step", "dashboard_small", "dashboard_big"} <= set(by_key):
        return "\n".join([*lines, "(Not every scenario ran: no comparison.)", "", END_MARK])
    for label, rows in (("at full load", results), (f"paced ({report['pacing']:g} s)", paced)):
        participant = [r for r in rows if r.scenario.group == "participant"]
        if not participant:
            continue
        worst = max(participant, key=lambda r: r.server_p95)
        lines.append(
            f"| participant pages p95 < 100 ms server time, {report['users']} users, "
            f"{report['machine']['cpus']} cores, {label} | worst server p95 "
            f"{ms(worst.server_p95)} ms ({worst.scenario.title}); worst client p95 "
            f"{ms(max(r.p95 for r in participant))} ms | {verdict(worst.server_p95 < 100)} |"
        )
    step = by_key["step"]
    module = by_key["module"]
    slowest = min(step.rps, module.rps)
    lines.append(
        f"| module page ≥ half the throughput of the bare view | module page "
        f"{module.rps / bare.rps:.2f}, module step {step.rps / bare.rps:.2f} of "
        f"{bare.rps:.0f} req/s | {verdict(slowest >= bare.rps / 2)} |"
    )
    small, big = by_key["dashboard_small"], by_key["dashboard_big"]
    same = bool(small.queries) and small.usual_queries == big.usual_queries
    lines.append(
        f"| dashboard: same query count at both caseloads | {small.queries_text} and "
        f"{big.queries_text} | {verdict(same)} |"
    )
    paced_by_key = {result.scenario.key: result for result in paced}
    for label, pair in (
        ("at full load", (small, big)),
        (
            f"paced ({report['pacing']:g} s)",
            (paced_by_key.get("dashboard_small"), paced_by_key.get("dashboard_big")),
        ),
    ):
        first, second = pair
        if first is None or second is None:
            continue
        lines.append(
            f"| dashboard p95 < 150 ms at both caseloads, {label} | server p95 "
            f"{ms(first.server_p95)} and {ms(second.server_p95)} ms; client p95 "
            f"{ms(first.p95)} and {ms(second.p95)} ms | "
            f"{verdict(max(first.server_p95, second.server_p95) < 150)} |"
        )
    lines += round_budgets(report)
    for name in sorted({export["name"] for export in report["exports"]}):
        runs = [export for export in report["exports"] if export["name"] == name]
        growth = [(export["rss_peak"] - export["rss_before"]) / 2**20 for export in runs]
        flat = max(growth) - min(growth) < 20
        lines.append(
            f"| {name} streams with flat memory | growth over the worker's resting size "
            + ", ".join(
                f"{g:.0f} MB at {export['participants']:,}"
                for g, export in zip(growth, runs, strict=True)
            )
            + f" | {verdict(flat)} |"
        )
    lines += ["", END_MARK]
    return "\n".join(lines)


def round_ratios(report: dict[str, Any]) -> dict[str, list[float]]:
    """Per interleaved round: each participant page's throughput over the bare view's, and the
    dashboard's server p95 at the big caseload over the small one's, at full load and paced."""
    ratios: dict[str, list[float]] = {}
    pacing = report["pacing"]
    for found in report["rounds"]:
        bare = found.get(("bare", 0.0))
        for key in ("home", "module", "step"):
            page = found.get((key, 0.0))
            if bare and page and bare.rps:
                ratios.setdefault(key, []).append(page.rps / bare.rps)
        for label, pace in (("dashboard", 0.0), ("dashboard paced", pacing)):
            small, big = found.get(("dashboard_small", pace)), found.get(("dashboard_big", pace))
            if small and big and small.server_p95:
                ratios.setdefault(label, []).append(big.server_p95 / small.server_p95)
    return ratios


def render_rounds(report: dict[str, Any]) -> list[str]:
    rounds: list[dict[tuple[str, float], Result]] = report["rounds"]
    if not rounds:
        return []
    pacing = report["pacing"]

    def rps(found: dict[tuple[str, float], Result], key: str) -> str:
        result = found.get((key, 0.0))
        return f"{result.rps:.0f}" if result else "-"

    def p95(found: dict[tuple[str, float], Result], key: str, pace: float) -> str:
        result = found.get((key, pace))
        return ms(result.server_p95) if result else "-"

    lines = [
        "",
        f"Interleaved rounds: {len(rounds)} rounds of {report['round_duration']} s runs, in each "
        "the bare view, the participant pages and the dashboards in turn (throughput in "
        "req/s; the dashboard's server p95 in ms at caseloads 100 / 1,000, at full load and "
        f"paced at {pacing:g} s):",
        "",
        "| round | bare | home | module | step | home / bare | module / bare | step / bare | "
        "dashboard p95 | paced p95 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ratios = round_ratios(report)
    for number, found in enumerate(rounds, start=1):
        index = number - 1

        def ratio(key: str, index: int = index) -> str:
            values = ratios.get(key, [])
            return f"{values[index]:.2f}" if index < len(values) else "-"

        lines.append(
            f"| {number} | {rps(found, 'bare')} | {rps(found, 'home')} | {rps(found, 'module')} "
            f"| {rps(found, 'step')} | {ratio('home')} | {ratio('module')} | {ratio('step')} | "
            f"{p95(found, 'dashboard_small', 0.0)} / {p95(found, 'dashboard_big', 0.0)} | "
            f"{p95(found, 'dashboard_small', pacing)} / {p95(found, 'dashboard_big', pacing)} |"
        )
    return lines


def round_budgets(report: dict[str, Any]) -> list[str]:
    """The ratio budgets read as the median over the interleaved rounds."""
    ratios = round_ratios(report)
    if not ratios:
        return []
    rounds = len(report["rounds"])

    def listed(values: list[float]) -> str:
        return ", ".join(f"{value:.2f}" for value in values)

    lines = []
    for key, title, floor in (
        ("module", "module page", 0.5),
        ("step", "module step", 0.5),
        ("home", "participant home", 0.4),
    ):
        values = ratios.get(key)
        if values:
            median = statistics.median(values)
            lines.append(
                f"| {title} ≥ {floor:g} of the bare view's throughput, median of {rounds} "
                f"interleaved rounds | {median:.2f} ({listed(values)}) | "
                f"{verdict(median >= floor)} |"
            )
    for key, label in (("dashboard", "at full load"), ("dashboard paced", "paced")):
        values = ratios.get(key)
        if values:
            median = statistics.median(values)
            lines.append(
                f"| dashboard server p95 at 1,000 ≤ 1.5 times at 100, {label}, median of {rounds} "
                f"interleaved rounds | {median:.2f} times ({listed(values)}) | "
                f"{verdict(median <= 1.5)} |"
            )
    return lines


SKELETON = f"""# Benchmarks

`make bench` seeds a throwaway PostgreSQL database, serves it with gunicorn and drives it with
locust; bench/run.py says what it does step by step. It is not part of `make test`.

{START_MARK}
{END_MARK}
"""


def write_report(text: str) -> None:
    current = REPORT.read_text() if REPORT.exists() else SKELETON
    if START_MARK not in current or END_MARK not in current:
        current = SKELETON + "\n" + current
    before, rest = current.split(START_MARK, 1)
    after = rest.split(END_MARK, 1)[1]
    REPORT.write_text(before + text + after)


# --- main ---------------------------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=2_000)
    parser.add_argument("--therapists", type=int, default=20)
    parser.add_argument("--users", type=int, default=20, help="concurrent locust users")
    parser.add_argument("--duration", type=int, default=30, help="seconds per scenario")
    parser.add_argument(
        "--pacing",
        type=float,
        default=1.0,
        help="seconds between one user's requests in the second, paced pass (0: no such pass)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="interleaved rounds of the ratio scenarios after the main pass (0: none)",
    )
    parser.add_argument("--round-duration", type=int, default=10, help="seconds per round's run")
    parser.add_argument("--autosave-users", type=int, default=100)
    parser.add_argument("--autosave-duration", type=int, default=60)
    parser.add_argument("--exports", default="100,10000,100000", help="export study sizes")
    parser.add_argument("--workers", type=int, default=2 * cores + 1)
    parser.add_argument("--pool", type=int, default=4, help="database pool size per worker")
    parser.add_argument(
        "--database", default="postgres://postgres@127.0.0.1:5432/icbt_bench", help="dropped first"
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--only", default="", help="comma-separated scenario keys (development)")
    parser.add_argument("--no-report", action="store_true", help="print, do not write the doc")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse(argv)
    started = time.monotonic()
    load_before = f"{os.getloadavg()[0]:.1f}"
    work = Path(tempfile.mkdtemp(prefix="icbt-bench-"))
    env = bench_env(args, work)
    os.environ.update(env)
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    print(f"Working files in {work}")
    recreate_database(args.database)
    manage("migrate", "--noinput", "-v", "0")
    manage("load_programme", "-v", "0")
    manage("collectstatic", "--noinput", "-v", "0")
    seed_seconds = manage(
        "seed_bench", "--participants", str(args.participants), "--therapists", str(args.therapists)
    )

    import django

    django.setup()
    from icbt.management.commands.seed_bench import (
        ADMIN_EMAIL,
        DEFAULT_PASSWORD,
        DEFAULT_TOTP_SECRET,
        caseload_sizes,
        therapist_email,
    )
    from research.models import Study

    caseloads = caseload_sizes(args.participants, args.therapists)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    only = {key for key in args.only.split(",") if key}
    with gunicorn(port, args.workers, work) as server:
        credentials: dict[str, Any] = {
            "participants": mint_sessions(max(args.users, args.autosave_users)),
            "staff": {
                "therapist_big": sign_in_staff(
                    base, therapist_email(0), DEFAULT_PASSWORD, DEFAULT_TOTP_SECRET
                ),
                "therapist_small": sign_in_staff(
                    base, therapist_email(1), DEFAULT_PASSWORD, DEFAULT_TOTP_SECRET
                ),
            },
        }
        (work / "credentials.json").write_text(json.dumps(credentials))
        env["BENCH_CREDENTIALS"] = str(work / "credentials.json")
        warm_up(base, credentials)
        results = []
        for scenario in SCENARIOS:
            if only and scenario.key not in only and scenario.key != "bare":
                continue
            print(f"Scenario: {scenario.title}", flush=True)
            results.append(
                run_locust(
                    scenario,
                    base=base,
                    users=args.users,
                    duration=args.duration,
                    work=work,
                    env=env,
                )
            )
        paced = []
        if args.pacing > 0:
            for scenario in SCENARIOS:
                if only and scenario.key not in only and scenario.key != "bare":
                    continue
                print(
                    f"Scenario: {scenario.title}, one request every {args.pacing:g} s", flush=True
                )
                paced.append(
                    run_locust(
                        scenario,
                        base=base,
                        users=args.users,
                        duration=args.duration,
                        work=work,
                        env=env,
                        pacing=args.pacing,
                    )
                )
        rounds = interleaved_rounds(args, base=base, work=work, env=env, only=only)
        print("Autosave minute", flush=True)
        autosave = autosave_minute(
            base=base,
            users=args.autosave_users,
            duration=args.autosave_duration,
            work=work,
            env=env,
        )
        print("Reminder sweeps", flush=True)
        sweeps = reminder_sweeps()
        sweep_population = sweeps[0]["population"] if sweeps else 0
        sizes = [int(size) for size in args.exports.split(",") if size.strip()]
        exports = []
        if sizes:
            print("Export studies", flush=True)
            manage("seed_bench", "--exports", ",".join(map(str, sizes)))
        if sizes:
            # Signed in now rather than at the start: the session expires after 30 idle minutes.
            credentials["staff"]["admin"] = sign_in_staff(
                base, ADMIN_EMAIL, DEFAULT_PASSWORD, DEFAULT_TOTP_SECRET
            )
        for size in sizes:
            study = Study.objects.get(name=f"Bench export {size}")
            for name, url in (
                ("outcomes CSV", f"/research/{study.pk}/export/outcomes.csv"),
                ("adherence CSV (wide)", f"/research/{study.pk}/adherence/wide.csv"),
            ):
                print(f"Export: {name}, {size} participants", flush=True)
                clear_query_log(work)
                measured = measure_export(base, url, credentials["staff"]["admin"], server)
                if measured["status"] != 200:
                    raise SystemExit(f"{url} answered {measured['status']}")
                queries = [row[3] for row in read_query_log(work) if row[1] == url]
                exports.append(
                    {
                        **measured,
                        "name": name,
                        "participants": size,
                        "queries": queries[0] if queries else 0,
                    }
                )
    report = {
        "results": results,
        "paced": paced,
        "pacing": args.pacing,
        "rounds": rounds,
        "round_duration": args.round_duration,
        "exports": exports,
        "sweeps": sweeps,
        "sweep_population": sweep_population,
        "autosave": autosave,
        "autosave_duration": args.autosave_duration,
        "machine": machine(),
        "command": ("`make bench`, which runs " if os.environ.get("MAKELEVEL") else "")
        + "`"
        + " ".join(["python -m bench.run", *argv])
        + "`",
        "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "total_minutes": (time.monotonic() - started) / 60,
        "load_before": load_before,
        "load_after": f"{os.getloadavg()[0]:.1f}",
        "participants": args.participants,
        "therapists": args.therapists,
        "caseloads": f"{caseloads[0]:,} and {caseloads[1]:,}" if len(caseloads) > 1 else "-",
        "seed_seconds": seed_seconds,
        "workers": args.workers,
        "users": args.users,
        "duration": args.duration,
    }
    text = render(report)
    print(text)
    if not args.no_report:
        write_report(text)
        print(f"Written to {REPORT.relative_to(ROOT)}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
