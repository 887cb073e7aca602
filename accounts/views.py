from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.mail import send_mail
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access_log import access_groups
from accounts.adapters import INVITATION_SESSION_KEY
from accounts.decorators import admin_required, participant_required
from accounts.forms import ConsentForm, InvitationForm, PreferencesForm, StaffRolesForm
from accounts.http import AuthenticatedHttpRequest
from accounts.models import (
    AccessLog,
    Invitation,
    Notification,
    NotificationPreference,
    Role,
    Site,
    User,
)
from accounts.notifications.forms import NotificationFilterForm, NotificationPreferenceForm


@require_GET
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an invitation e-mail. A valid one opens allauth's signup for that address;
    anything else explains itself and creates nothing."""
    invitation = Invitation.find(token)
    if invitation is None or not invitation.is_usable:
        status = invitation.status if invitation else None
        return render(
            request,
            "accounts/invitation_invalid.html",
            {"status": status},
            status=410 if invitation else 404,
        )
    if request.user.is_authenticated:
        return render(request, "accounts/invitation_signed_in.html", status=409)
    request.session[INVITATION_SESSION_KEY] = invitation.pk
    # The address is proven by the link having been opened from the invitation e-mail.
    get_adapter(request).stash_verified_email(request, invitation.email)
    return redirect("account_signup")


@login_required
@require_http_methods(["GET", "POST"])
def consent(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user.accept_consent(version=settings.CONSENT_VERSION)
        return redirect("home")
    template = (
        "accounts/consent_participant.html"
        if user.is_participant
        else "accounts/consent_staff.html"
    )
    return render(
        request,
        template,
        {"form": form, "version": settings.CONSENT_VERSION, "already": not user.needs_consent()},
    )


def _send_invitation(request: HttpRequest, invitation: Invitation, token: str) -> str:
    link = settings.SITE_URL + reverse("accounts:invitation-accept", args=[token])
    context = {"invitation": invitation, "link": link, "platform": settings.PLATFORM_NAME}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/email/invitation.txt", context)
    send_mail(subject, body, None, [invitation.email])
    return link


def invitation_form_class() -> type[InvitationForm]:
    """The invite page's form: settings.ACCOUNTS_INVITATION_FORM, a subclass of InvitationForm
    (research's adds the study without accounts importing research)."""
    form_class: type[InvitationForm] = import_string(
        getattr(settings, "ACCOUNTS_INVITATION_FORM", "accounts.forms.InvitationForm")
    )
    return form_class


@admin_required
@require_http_methods(["GET", "POST"])
def invitations(request: AuthenticatedHttpRequest) -> HttpResponse:
    sites = Site.objects.filter(people=request.user)
    form = invitation_form_class()(request.POST or None, sites=sites, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            invitation, token = Invitation.issue(
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                site=form.cleaned_data["site"],
                invited_by=request.user,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                therapist=form.cleaned_data["therapist"],
                physiotherapist=form.cleaned_data["physiotherapist"],
            )
            form.issued(invitation)
        link = _send_invitation(request, invitation, token)
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
        # Shown once, for delivering the link another way; only its hash is stored.
        request.session["last_invitation_link"] = link
        return redirect("accounts:invitations")
    return render(
        request,
        "accounts/invitations.html",
        {
            "form": form,
            "invitations": Invitation.objects.visible_to(request.user).select_related(
                "site", "therapist", "physiotherapist"
            )[:100],
            "last_link": request.session.pop("last_invitation_link", None),
        },
    )


@admin_required
@require_POST
def invitation_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects.visible_to(request.user), pk=pk)
    invitation.revoke()
    messages.success(request, _("The invitation was withdrawn."))
    return redirect("accounts:invitations")


@admin_required
@require_GET
def people(request: AuthenticatedHttpRequest) -> HttpResponse:
    visible = User.objects.visible_to(request.user)
    return render(
        request,
        "accounts/people.html",
        {
            "staff": visible.staff().order_by("last_name", "first_name", "email"),
            "participant_count": visible.participants().count(),
        },
    )


# Roles that open participants' health data.
CLINICAL_ROLES = {Role.THERAPIST, Role.PHYSIOTHERAPIST}


@admin_required
@require_http_methods(["GET", "POST"])
def staff_roles(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User.objects.visible_to(request.user).staff(), pk=pk)
    form = StaffRolesForm(
        request.POST or None, initial={"roles": [role.value for role in person.roles]}
    )
    if request.method == "POST" and form.is_valid():
        roles = form.cleaned_data["roles"]
        granted = {Role(role) for role in roles} - set(person.roles)
        if person == request.user and Role.ADMIN not in roles:
            form.add_error("roles", _("You cannot remove your own admin role."))
        elif person == request.user and granted & CLINICAL_ROLES:
            # A clinical role opens participants' health data: no admin grants it to themselves.
            form.add_error("roles", _("Another admin must give you a clinical role."))
        else:
            before = ",".join(sorted(role.value for role in person.roles))
            person.set_staff_roles(roles)
            person.save(update_fields=["is_therapist", "is_physiotherapist", "is_research_admin"])
            after = ",".join(sorted(role.value for role in person.roles))
            AccessLog.record(
                actor=request.user,
                role=Role.ADMIN,
                subject=person,
                action="staff-roles-changed",
                detail=f"{before} -> {after}",
            )
            messages.success(request, _("Roles saved."))
            return redirect("accounts:people")
    return render(request, "accounts/staff_roles.html", {"person": person, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        translation.activate(request.user.language)
        messages.success(request, _("Your preferences were saved."))
        response = redirect("accounts:preferences")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            request.user.language,
            samesite="Lax",
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        )
        return response
    return render(request, "accounts/preferences.html", {"form": form})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The header's language switch: remembers the choice on the account when signed in."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    if request.user.is_authenticated:
        request.user.language = language
        request.user.save(update_fields=["language"])
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        samesite="Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )
    return response


@participant_required
@require_GET
def my_access_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    groups, page = access_groups(request.user, request.GET.get("page"))
    return render(request, "accounts/my_access_log.html", {"groups": groups, "page": page})


# --- Notifications ----------------------------------------------------------------------------

NOTIFICATIONS_PER_PAGE = 50


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    """How, when and about what the signed-in person wants to be reminded."""
    # Saved on the first POST: until then the defaults apply, and a GET writes nothing.
    preference = NotificationPreference.objects.filter(user=request.user).first()
    preference = preference or NotificationPreference(user=request.user)
    form = NotificationPreferenceForm(request.POST or None, instance=preference, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your notification settings were saved."))
        return redirect("accounts:notification-preferences")
    return render(request, "accounts/notifications/preferences.html", {"form": form})


@admin_required
@require_GET
def notification_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What was sent to whom and when, and what failed: the outbox of the admin's site, without
    any content (there is none to show: rows hold ids only)."""
    filters = NotificationFilterForm(request.GET or None)
    notifications = Notification.objects.visible_to(request.user).select_related("recipient")
    if filters.is_valid():
        if state := filters.cleaned_data["state"]:
            notifications = notifications.filter(state=state)
        if kind := filters.cleaned_data["kind"]:
            notifications = notifications.filter(kind=kind)
    page = Paginator(notifications, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    # Who was told what and when is information about participants: the read is logged.
    AccessLog.record(
        actor=request.user,
        role=Role.ADMIN,
        action="notifications.list",
        detail=request.GET.urlencode(),
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filters": filters, "page": page, "query": query.urlencode()}
    template = "accounts/notifications/log.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)
