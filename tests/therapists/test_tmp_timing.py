from __future__ import annotations
import time
from django.utils import timezone
from therapists import triage
from therapists.access import caseload_of
from tests.therapists.conftest import make_caseload

def test_timing(client, therapist, programme, settings):
    make_caseload(therapist, 1000, programme)
    ids = caseload_of(therapist).values("pk")
    now = timezone.now()
    for feed in triage.sources():
        list(feed(therapist=therapist, participant_ids=ids, now=now))
        t = time.perf_counter()
        for _ in range(5):
            n = len(list(feed(therapist=therapist, participant_ids=ids, now=now)))
        print(feed.__name__, n, "%.0f ms" % ((time.perf_counter() - t) / 5 * 1000))
    t = time.perf_counter()
    items = triage.collect(therapist, now=now)
    print("collect", len(items), "%.0f ms" % ((time.perf_counter() - t) * 1000))
