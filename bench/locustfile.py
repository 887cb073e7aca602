"""The benchmark's users, one class per scenario; bench/run.py runs one class at a time:

    locust -f bench/locustfile.py --headless --host http://127.0.0.1:PORT ModuleStep

Nobody signs in here: bench/run.py writes BENCH_CREDENTIALS (a JSON file) with a session
cookie per participant (minted in the database) and per staff account (signed in through the
real sign-in form with password and TOTP code), and every user takes the next participant, or
the staff account of its scenario. Users wait for nothing between requests (the server at full
load) unless BENCH_PACING gives the seconds between the starts of one user's requests. The
autosave users write what the server acknowledged to BENCH_AUTOSAVE_OUT when the run stops, for
run.py to compare with the database."""

from __future__ import annotations

import itertools
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, constant, constant_pacing, events, task

CREDENTIALS: dict[str, Any] = json.loads(
    Path(os.environ.get("BENCH_CREDENTIALS", "bench-credentials.json")).read_text()
    if os.environ.get("BENCH_CREDENTIALS")
    else '{"participants": [], "staff": {}}'
)
STEP_URL = CREDENTIALS.get("step_url", "/programme/1/starting-point/")
MODULE_URL = CREDENTIALS.get("module_url", "/programme/1/")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REVISION = re.compile(r'name="revision" value="(\d+)"')
_next_participant = itertools.count()
# Marks this run's drafts, so that answers saved by an earlier scenario are not counted.
RUN_TAG = uuid.uuid4().hex[:8]
# Participant email -> what the server acknowledged last, for the lost-answer check.
AUTOSAVES: dict[str, dict[str, Any]] = {}


# Seconds between the starts of one user's requests (BENCH_PACING); 0 sends the next request as
# soon as the previous one is answered.
PACING = float(os.environ.get("BENCH_PACING", "0"))
WAIT = constant_pacing(PACING) if PACING > 0 else constant(0)


class _Participant(HttpUser):
    abstract = True
    wait_time = WAIT

    def on_start(self) -> None:
        people = CREDENTIALS["participants"]
        self.person = people[next(_next_participant) % len(people)]
        self.client.cookies.set("sessionid", self.person["sessionid"])

    def csrf_from(self, url: str, name: str) -> str:
        with self.client.get(url, name=name, catch_response=True) as response:
            match = CSRF.search(response.text)
            if response.status_code != 200 or match is None:
                response.failure(f"no form on {name} ({response.status_code})")
                return ""
            response.success()
            return match.group(1)


class _Staff(HttpUser):
    abstract = True
    wait_time = WAIT
    account = ""

    def on_start(self) -> None:
        for name, value in CREDENTIALS["staff"][self.account].items():
            self.client.cookies.set(name, value)


class BareView(_Participant):
    """The reference: the smallest authenticated view there is (the session check the
    autosave script calls), on the same stack."""

    @task
    def session_check(self) -> None:
        self.client.get("/programme/session/", name="bare authenticated view")


class ParticipantHome(_Participant):
    @task
    def home(self) -> None:
        self.client.get("/", name="participant home")


class ModulePage(_Participant):
    @task
    def module(self) -> None:
        self.client.get(MODULE_URL, name="module page")


class ModuleStep(_Participant):
    @task
    def step(self) -> None:
        self.client.get(STEP_URL, name="module step")


class Autosave(_Participant):
    """Types into the first text field of an exercise and autosaves (htmx) after every
    keystroke-worth of change, as the page's script does, keeping the revision it is given."""

    def on_start(self) -> None:
        super().on_start()
        self.saves = 0
        with self.client.get(STEP_URL, name="autosave: open step", catch_response=True) as page:
            token, revision = CSRF.search(page.text), REVISION.search(page.text)
            if page.status_code != 200 or token is None or revision is None:
                page.failure(f"step page without a form ({page.status_code})")
                self.token, self.revision = "", 0
                return
            self.token, self.revision = token.group(1), int(revision.group(1))
        AUTOSAVES[self.person["email"]] = {
            "tag": RUN_TAG,
            "value": None,
            "revision": self.revision,
            "saves": 0,
            "pending": None,
        }

    @task
    def autosave(self) -> None:
        value = f"{self.person['email']} {RUN_TAG} draft {self.saves + 1}"
        state = AUTOSAVES.get(self.person["email"])
        if state is not None:
            # Sent, not yet acknowledged: what the database may hold if the run stops now.
            state["pending"] = value
        with self.client.post(
            STEP_URL + "save/",
            data={
                "csrfmiddlewaretoken": self.token,
                "revision": str(self.revision),
                "a-reason": value,
                "a-stress_now": str(self.saves % 11),
            },
            headers={"HX-Request": "true"},
            name="autosave",
            catch_response=True,
        ) as response:
            revision = response.headers.get("X-Answer-Revision")
            if response.status_code != 200 or revision is None:
                response.failure(f"not saved ({response.status_code})")
                return
            self.saves += 1
            self.revision = int(revision)
            AUTOSAVES[self.person["email"]] = {
                "tag": RUN_TAG,
                "value": value,
                "revision": self.revision,
                "saves": self.saves,
                "pending": None,
            }


class MessageSend(_Participant):
    """Writes to the therapist (the plain form post; the redirect that follows is not part of
    the measurement)."""

    def on_start(self) -> None:
        super().on_start()
        self.token = self.csrf_from("/messages/", "messages: open page")
        self.sent = 0

    @task
    def send(self) -> None:
        self.sent += 1
        with self.client.post(
            "/messages/",
            data={"csrfmiddlewaretoken": self.token, "body": f"Fråga nummer {self.sent}."},
            allow_redirects=False,
            name="message send",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"not sent ({response.status_code})")


class Dashboard100(_Staff):
    account = "therapist_small"

    @task
    def dashboard(self) -> None:
        self.client.get("/care/", name="therapist dashboard (small caseload)")


class Dashboard1000(_Staff):
    account = "therapist_big"

    @task
    def dashboard(self) -> None:
        self.client.get("/care/", name="therapist dashboard (big caseload)")


@events.test_stop.add_listener  # type: ignore[untyped-decorator]
def _write_autosaves(**_kwargs: Any) -> None:
    target = os.environ.get("BENCH_AUTOSAVE_OUT")
    if target and AUTOSAVES:
        Path(target).write_text(json.dumps(AUTOSAVES, indent=1))
