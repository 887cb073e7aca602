"""docker-compose.yml's topology, run natively from the same commands (tests/production/
topology.py), with DEBUG=0 and production settings. Run alone: `pytest -m production_shape`.

The tests share one topology and run in order: the last kills a worker."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.drills.processes import wait_for
from tests.factories import PASSWORD, current_totp_code
from tests.production.topology import Client, Topology, topology

pytestmark = [pytest.mark.production_shape, pytest.mark.celery_worker]

STATIC = re.compile(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"')
# Every file a page loads from /static/ (styles, scripts, icons, images).
ASSETS = re.compile(r'(?:href|src)="(/static/[^"]+)"')
HASHED = re.compile(r"\.[0-9a-f]{12}\.[a-z0-9]+$")
# A first visit on a phone: the page and everything it loads, before compression.
FIRST_LOAD_BUDGET = 100_000


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    with topology(tmp_path_factory.mktemp("prodshape")) as running:
        yield running


def sign_in(client: Client, email: str, *, code: bool = False) -> None:
    page = client.post_form("/accounts/login/", {"login": email, "password": PASSWORD})
    if code:
        assert "/accounts/2fa/authenticate/" in page.url, page.url
        page = client.post_form(page.url, {"code": current_totp_code()})
    assert page.status_code == 200 and "/accounts/" not in page.url, (page.url, page.text[:500])


def report_of(platform: Topology, therapist: int) -> tuple[str, str, int]:
    rows = platform.sql(
        "SELECT state, file, attempts FROM research_report WHERE therapist_id = %s", therapist
    )
    return rows[0] if rows else ("", "", 0)


def test_it_renders_pages_and_serves_their_cache_busted_static_files_with_debug_off(
    platform: Topology,
) -> None:
    client = Client(platform.base)
    page = client.get("/accounts/login/")
    assert page.status_code == 200, platform.logs()
    # The compiled Swedish catalogue is in the build: the platform's default language.
    assert 'lang="sv"' in page.text and "Logga in" in page.text
    match = STATIC.search(page.text)
    assert match, page.text[:2000]
    css = client.get(match[1])
    assert css.status_code == 200 and "text/css" in css.headers["Content-Type"]
    # A hashed name never changes content: browsers may keep it for good.
    assert "immutable" in css.headers["Cache-Control"]
    assert client.get("/static/css/app.css").status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    # Polled every few seconds by compose: no session, no cookie.
    assert "Set-Cookie" not in health.headers
    assert platform.sql("SELECT count(*) FROM django_session") == [(0,)]


def test_a_first_load_stays_under_100_kb_and_each_file_comes_compressed_and_cache_busted(
    platform: Topology,
) -> None:
    client = Client(platform.base)
    loads = {"/accounts/login/": client.get("/accounts/login/")}
    sign_in(client, "signing-in@prodshape.example")
    loads["/"] = client.get("/")
    for path, page in loads.items():
        assert page.status_code == 200, (path, page.url)
        assets = sorted(set(ASSETS.findall(page.text)))
        assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
        total = len(page.content)
        for asset in assets:
            assert HASHED.search(asset), f"{asset} is not cache-busted"
            served = client.request("GET", asset, headers={"Accept-Encoding": "gzip, br"})
            assert served.status_code == 200, asset
            assert "immutable" in served.headers["Cache-Control"], asset
            if asset.endswith((".css", ".js", ".svg")):
                assert served.headers.get("Content-Encoding") in ("gzip", "br"), asset
                assert int(served.headers["Content-Length"]) < len(served.content), asset
            total += len(served.content)
        assert total < FIRST_LOAD_BUDGET, f"{path}: {total} bytes with {assets}"


def test_it_keeps_a_session_started_on_one_web_process_on_the_other(platform: Topology) -> None:
    first = Client(platform.web(0))
    sign_in(first, "signing-in@prodshape.example")
    other = Client(platform.web(1))
    other.session.cookies = first.session.cookies
    home = other.get("/")
    assert home.status_code == 200 and home.url.rstrip("/").endswith(str(platform.web_ports[1])), (
        home.url
    )
    assert "Logga ut" in home.text or "logout" in home.text
    # And through the one address, whichever process answers.
    behind = Client(platform.base)
    behind.session.cookies = first.session.cookies
    served = len(platform.proxy.served)
    for _ in range(4):
        assert behind.get("/").url == f"{platform.base}/"
    assert set(platform.proxy.served[served:]) == set(platform.web_ports)


def test_it_sends_an_invitation_and_a_reminder_once_each_over_smtp(platform: Topology) -> None:
    admin = Client(platform.base)
    sign_in(admin, "admin@prodshape.example", code=True)
    sent = admin.post_form(
        "/staff/invitations/",
        {
            "email": "invited@prodshape.example",
            "first_name": "Ines",
            "last_name": "",
            "role": "participant",
            "site": str(platform.people["site"]),
        },
    )
    assert sent.status_code == 200 and "/staff/invitations/" in sent.url
    mailbox = platform.mailbox
    assert wait_for(lambda: len(mailbox.to("invited@prodshape.example")) >= 1, 20)
    # The reminder: beat's sweep finds the quiet participant, a worker sends it.
    quiet = platform.people["quiet"]

    def reminded() -> bool:
        return bool(
            platform.sql(
                "SELECT 1 FROM accounts_notification WHERE recipient_id = %s AND kind = %s "
                "AND state = %s",
                quiet,
                "inactive",
                "sent",
            )
        )

    assert wait_for(reminded, 60), platform.logs()
    time.sleep(5)  # room for a duplicate: two workers, beat every two seconds
    [invitation] = mailbox.to("invited@prodshape.example")
    body = invitation.get_body(("plain",))
    assert body is not None
    assert f"https://127.0.0.1:{platform.proxy.port}/invite/" in body.get_content()
    # Whatever else is due to them (a questionnaire opens on joining), each row arrives once.
    rows = dict(
        platform.sql(
            "SELECT id::text, kind FROM accounts_notification WHERE recipient_id = %s AND "
            "state = %s",
            quiet,
            "sent",
        )
    )
    arrived = [m["X-Notification-Id"] for m in mailbox.to("quiet@prodshape.example")]
    assert sorted(arrived) == sorted(rows) and "inactive" in rows.values()
    assert all(m["Auto-Submitted"] == "auto-generated" for m in mailbox.to("quiet@"))


def test_it_builds_a_report_pdf_on_a_worker_and_announces_it_once(platform: Topology) -> None:
    therapist = platform.people["kept_therapist"]
    assert wait_for(lambda: report_of(platform, therapist)[0] == "ready", 90), platform.logs()
    _, name, attempts = report_of(platform, therapist)
    assert attempts == 1
    pdf = Path(platform.env["MEDIA_ROOT"]) / name
    assert pdf.read_bytes().startswith(b"%PDF-")
    mailbox = platform.mailbox
    assert wait_for(lambda: len(mailbox.to("kept@prodshape.example")) >= 1, 30), platform.logs()
    time.sleep(3)
    notices = platform.sql(
        "SELECT id, state FROM accounts_notification WHERE recipient_id = %s AND kind = %s",
        therapist,
        "report_ready",
    )
    assert [state for _, state in notices] == ["sent"]
    assert len(mailbox.to("kept@prodshape.example")) == 1


def test_it_loses_no_report_when_the_worker_making_it_is_killed(platform: Topology) -> None:
    therapist = platform.people["held_therapist"]
    hold = Path(platform.env["PRODSHAPE_HOLD_DIR"])
    assert wait_for(lambda: any(hold.glob("started-*")), 60), platform.logs()
    [started] = hold.glob("started-*")
    victim = started.name.removeprefix("started-")
    assert report_of(platform, therapist)[0] == "running"
    process = platform.workers[victim]
    # SIGKILL, the whole worker (its pool too): no handler runs, nothing is acknowledged.
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    (hold / "hold").unlink()
    time.sleep(5)
    # The claim is the dead worker's, and no one else may take it yet.
    assert report_of(platform, therapist)[:1] == ("running",)
    # What half an hour leaves behind: the claim has gone stale (research.models.STALE_CLAIM).
    platform.sql(
        "UPDATE research_report SET started_at = started_at - interval '31 minutes' "
        "WHERE therapist_id = %s",
        therapist,
    )
    # Beat's weekly-report sweep queues it again; the other worker makes it.
    assert wait_for(lambda: report_of(platform, therapist)[0] == "ready", 90), platform.logs()
    _, name, attempts = report_of(platform, therapist)
    assert attempts == 2
    assert (Path(platform.env["MEDIA_ROOT"]) / name).read_bytes().startswith(b"%PDF-")
    mailbox = platform.mailbox
    assert wait_for(lambda: len(mailbox.to("held@prodshape.example")) >= 1, 30), platform.logs()
    time.sleep(3)
    assert len(mailbox.to("held@prodshape.example")) == 1
