from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from accounts.models import Heartbeat
from assessments.schedules import questionnaires_due
from icbt.context_processors import unread_message_count
from modules.progress import participant_summary
from physio.activity import activity_panel
from research.models import awaiting_allocation


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The role's home. Participants see what to do next; staff see their workspaces."""
    if not request.user.is_authenticated:
        return redirect("account_login")
    return _home_for(request)  # type: ignore[arg-type]


def _home_for(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if user.is_participant:
        context: dict[str, object] = {
            # First on the page: a message from the therapist is what people most often miss.
            "unread_count": unread_message_count(request),
            "questionnaires_due": questionnaires_due(user),
            # None when the participant's arm has no programme: the page then says nothing of it.
            "programme": participant_summary(user),
            # None until a plan is written or a visit booked.
            "activity": activity_panel(user),
            # A study with arms before randomisation: the programme is closed; say what comes.
            "study_waiting": awaiting_allocation(user),
        }
        return render(request, "home/participant.html", context)
    return render(request, "home/staff.html", {})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and `docker compose`: the database answers, and how long ago a
    worker last ran the heartbeat task (null if never)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    heartbeat = Heartbeat.objects.filter(name="worker").first()
    age = (timezone.now() - heartbeat.seen_at).total_seconds() if heartbeat else None
    return JsonResponse({"status": "ok", "worker_heartbeat_age_seconds": age})
