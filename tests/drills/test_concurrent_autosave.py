"""Drill: many participants autosaving at once, against a real multi-process, multi-threaded web
server on the test database (PostgreSQL in CI).

Every participant types into two exercises. Each exercise's saves form a chain, as the autosave
script sends them: each save carries the revision the server confirmed for the one before. Among
them arrive saves that are out of date on purpose: a copy of an earlier save that arrives late
(a retry after a lost answer, a slow network), and a second tab still at revision 0. No answer
may be lost, none overwritten by an older one, and the server must never fail (5xx)."""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
import urllib3
from django.test import Client

from accounts.models import User
from modules.models import Answer, AnswerRevision, Module, Step
from tests.drills.conftest import enrol
from tests.drills.processes import Processes
from tests.factories import make_participant
from tests.modules.helpers import post_data, step

pytestmark = [pytest.mark.django_db(transaction=True)]

PARTICIPANTS = 30
SAVES_PER_ANSWER = 4
CLIENT_THREADS = 24


@dataclass(frozen=True)
class Exercise:
    step: Step
    answer: Callable[[str], dict[str, Any]]
    text_of: Callable[[dict[str, Any]], str]

    @property
    def url(self) -> str:
        return f"/programme/{self.step.module.number}/{self.step.slug}/save/"


def exercises() -> list[Exercise]:
    return [
        Exercise(
            step(1, "starting-point"),
            lambda text: {"reason": text, "stress_now": 5, "pain_impact": 5},
            lambda data: str(data.get("reason", "")),
        ),
        Exercise(
            step(1, "goals"),
            lambda text: {"goal_sign": text},
            lambda data: str(data["goal_sign"]),
        ),
    ]


@dataclass
class Chain:
    """One participant's saves of one exercise, and what the server answered."""

    cookie: str
    csrf: str
    exercise: Exercise
    participant_id: int
    texts: list[str]
    confirmed: list[int] = field(default_factory=list)
    stale_statuses: list[int] = field(default_factory=list)


class Server:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = urllib3.PoolManager(maxsize=2 * CLIENT_THREADS)
        self.statuses: list[int] = []
        self.lock = threading.Lock()

    def save(self, chain: Chain, text: str, revision: int) -> urllib3.BaseHTTPResponse:
        exercise = chain.exercise
        body = urlencode(
            post_data(exercise.step.exercise or {}, exercise.answer(text), revision), doseq=True
        )
        response = self.http.request(
            "POST",
            self.base + exercise.url,
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"sessionid={chain.cookie}; csrftoken={chain.csrf}",
                "X-CSRFToken": chain.csrf,
                "HX-Request": "true",
            },
            redirect=False,
            timeout=urllib3.Timeout(total=60),
            retries=False,
        )
        with self.lock:
            self.statuses.append(response.status)
        return response


def signed_in_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def test_concurrent_autosaves_keep_the_newest_answer_and_the_whole_history(  # type: ignore[no-untyped-def]
    platform: Processes, site, programme: list[Module]
) -> None:
    people = [
        enrol(make_participant(site, f"typist{n}@drill.example")) for n in range(PARTICIPANTS)
    ]
    chains = [
        Chain(
            cookie=signed_in_cookie(person),
            csrf=secrets.token_hex(16),
            exercise=exercise,
            participant_id=person.pk,
            texts=[
                f"{person.pk}/{exercise.step.slug} version {k}"
                for k in range(1, 1 + SAVES_PER_ANSWER)
            ],
        )
        for person in people
        for exercise in exercises()
    ]
    server = Server(platform.web(workers=2, threads=8))
    shuffle = random.Random(20261124)
    late: list[Future[None]] = []
    stale_pool = ThreadPoolExecutor(CLIENT_THREADS // 2)

    def arrive_late(chain: Chain, text: str, revision: int) -> None:
        time.sleep(shuffle.random() * 0.3)
        response = server.save(chain, text, revision)
        chain.stale_statuses.append(response.status)

    def type_into(chain: Chain) -> None:
        revision = 0
        for index, text in enumerate(chain.texts):
            response = server.save(chain, text, revision)
            assert response.status == 200, (response.status, response.data[:300])
            revision = int(response.headers["X-Answer-Revision"])
            chain.confirmed.append(revision)
            if index == 0:
                # A second tab, opened before the first save, saves something else.
                late.append(stale_pool.submit(arrive_late, chain, "from another tab", 0))
            else:
                # The previous save again, on the revision before it: arrives late.
                late.append(
                    stale_pool.submit(arrive_late, chain, chain.texts[index - 1], revision - 2)
                )

    started = time.monotonic()
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        for future in [pool.submit(type_into, chain) for chain in chains]:
            future.result()
    for future in late:
        future.result()
    stale_pool.shutdown()
    took = time.monotonic() - started

    assert not [status for status in server.statuses if status >= 500], platform.logs()
    refused = 0
    for chain in chains:
        assert chain.confirmed == list(range(1, 1 + SAVES_PER_ANSWER))
        # A late save is refused (409), or, arriving before the next save, was the very same
        # text and changed nothing (200).
        assert set(chain.stale_statuses) <= {200, 409}, chain.stale_statuses
        answer = Answer.objects.get(participant_id=chain.participant_id, step=chain.exercise.step)
        assert answer.revision == SAVES_PER_ANSWER
        assert chain.exercise.text_of(answer.data) == chain.texts[-1]
        accepted = AnswerRevision.objects.filter(answer=answer, accepted=True).order_by("revision")
        assert [(r.revision, chain.exercise.text_of(r.data)) for r in accepted] == list(
            enumerate(chain.texts, start=1)
        )
        kept_aside = AnswerRevision.objects.filter(answer=answer, accepted=False).count()
        assert kept_aside == chain.stale_statuses.count(409)
        refused += kept_aside
    # The drill did what it says: most late saves met a newer answer.
    assert refused >= len(chains), refused
    assert len(server.statuses) == len(chains) * SAVES_PER_ANSWER * 2
    print(f"{len(server.statuses)} saves in {took:.1f} s, {refused} refused as stale")
