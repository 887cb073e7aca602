"""The research admin's page of homework waiting without a therapist (therapists/unassigned.py
says why it is the admins' and what they see)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import admin_required
from accounts.http import AuthenticatedHttpRequest
from accounts.models import AccessLog, Role
from therapists.unassigned import unassigned_homework

UNASSIGNED_PAGE_SIZE = 50


@admin_required
@require_GET
def unassigned(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(unassigned_homework(request.user), UNASSIGNED_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # One row for the list, as for the therapists' queue; the care-team page logs each person.
    AccessLog.record(actor=request.user, role=Role.ADMIN, action="unassigned homework list")
    return render(request, "therapists/unassigned.html", {"page": page})
