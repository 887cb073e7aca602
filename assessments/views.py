from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import get_participant_for_user
from accounts.decorators import admin_required, care_staff_required, participant_required
from accounts.http import AuthenticatedHttpRequest
from accounts.models import AccessLog, Role, User
from assessments.bodymap import body_views, region_groups
from assessments.flag_views import open_flags_context
from assessments.forms import PageForm
from assessments.history import participant_history, score_history
from assessments.instruments import Item, all_instruments
from assessments.item_texts import (
    OWN_WORDING,
    languages_missing,
    resolve_texts,
    texts_file_status,
)
from assessments.labels import BODY_SIDE_LABELS, instrument_title
from assessments.models import Questionnaire, RiskFlag, TimePoint
from assessments.pages import Page, build_pages, first_unanswered, widget_for
from assessments.schedules import ScheduledQuestionnaire, participant_schedule, scheduled

# -- participant pages ----------------------------------------------------------------------------


def _scheduled_for(request: AuthenticatedHttpRequest, time_point_id: int) -> ScheduledQuestionnaire:
    time_point = get_object_or_404(TimePoint.objects.visible_to(request.user), pk=time_point_id)
    return scheduled(request.user, time_point)


def _pages(row: ScheduledQuestionnaire, participant: User) -> list[Page]:
    """The pages of what `participant` is asked: instruments without texts in their language
    are left out (TimePoint.instruments_for), so no page ever shows a placeholder."""
    codes = row.time_point.instruments_for(participant.language)
    return build_pages(codes, settings.ASSESSMENTS_ITEMS_PER_PAGE)


def _stored(row: ScheduledQuestionnaire) -> dict[str, dict[str, Any]]:
    """Instrument -> stored answers (one query, none before the first page is saved)."""
    if row.questionnaire is None:
        return {}
    return {r.instrument: r.answers for r in row.questionnaire.responses.all()}


def _not_open(request: AuthenticatedHttpRequest, row: ScheduledQuestionnaire) -> HttpResponse:
    if row.questionnaire is not None and row.questionnaire.is_submitted:
        messages.info(request, _("You have already sent these answers."))
    elif request.method == "POST":
        messages.warning(
            request, _("This questionnaire is not open, so your answers were not saved.")
        )
    return redirect("assessments:questionnaire", row.time_point.pk)


@participant_required
@require_GET
def questionnaire_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request, "assessments/questionnaire_list.html", {"rows": participant_schedule(request.user)}
    )


@participant_required
@require_GET
def questionnaire_detail(request: AuthenticatedHttpRequest, time_point_id: int) -> HttpResponse:
    """The questionnaire's front page: what it is, how far the participant got, where to go on."""
    row = _scheduled_for(request, time_point_id)
    pages = _pages(row, request.user)
    stored = _stored(row)
    resume = first_unanswered(pages, stored)
    return render(
        request,
        "assessments/questionnaire_detail.html",
        {
            "row": row,
            "page_count": len(pages),
            "pages_done": sum(1 for page in pages if page.is_answered(stored)),
            "resume": resume,
            "titles": list(dict.fromkeys(instrument_title(page.instrument) for page in pages)),
        },
    )


@dataclass(frozen=True)
class Entry:
    """One item on a page, ready for the template."""

    item: Item
    field: Any
    number: int
    widget: str
    stem: str


@participant_required
@require_http_methods(["GET", "POST"])
def questionnaire_page(
    request: AuthenticatedHttpRequest, time_point_id: int, number: int
) -> HttpResponse:
    row = _scheduled_for(request, time_point_id)
    if not row.is_open:
        return _not_open(request, row)
    pages = _pages(row, request.user)
    if not 1 <= number <= len(pages):
        raise Http404
    page = pages[number - 1]
    stored = _stored(row)
    texts = resolve_texts(page.instrument, get_language() or settings.LANGUAGE_CODE)
    items = [texts.items[key] for key in page.keys]
    form = PageForm(
        request.POST if request.method == "POST" else None,
        items=items,
        stored=stored.get(page.instrument),
    )
    if request.method == "POST" and form.is_valid():
        questionnaire = row.questionnaire or _start(request.user, row.time_point)
        try:
            questionnaire.save_answers(page.instrument, form.answers(), language=texts.language)
        except ValidationError:
            # Submitted by another tab since this page was loaded.
            messages.info(request, _("You have already sent these answers."))
            return redirect("assessments:questionnaire", row.time_point.pk)
        go = request.POST.get("go", "next")
        if go == "later":
            messages.success(
                request, _("Your answers are saved. You can continue where you left off later.")
            )
            return redirect("home")
        if go == "previous" and number > 1:
            return redirect("assessments:questionnaire-page", row.time_point.pk, number - 1)
        if go == "next" and number < len(pages):
            return redirect("assessments:questionnaire-page", row.time_point.pk, number + 1)
        return redirect("assessments:questionnaire-review", row.time_point.pk)
    entries = []
    previous_stem = ""
    for offset, item in enumerate(items):
        entries.append(
            Entry(
                item=item,
                field=None if form.is_bodymap else form[item.key],
                number=page.first_item_number + offset,
                widget=widget_for(item),
                stem=item.stem if item.stem and item.stem != previous_stem else "",
            )
        )
        previous_stem = item.stem
    context: dict[str, Any] = {
        "row": row,
        "page": page,
        "page_count": len(pages),
        "title": instrument_title(page.instrument),
        "form": form,
        "entries": entries,
        "texts": texts,
    }
    if form.is_bodymap:
        selected = (
            set(request.POST.getlist("regions"))
            if form.is_bound
            else {key for key, value in (stored.get(page.instrument) or {}).items() if value}
        )
        context["groups"] = [
            (BODY_SIDE_LABELS[group.side], group) for group in region_groups(texts.items, selected)
        ]
        context["views"] = body_views()
        context["selected"] = selected
        context["region_labels"] = {key: item.label for key, item in texts.items.items()}
    return render(request, "assessments/questionnaire_page.html", context)


def _start(participant: User, time_point: TimePoint) -> Questionnaire:
    try:
        questionnaire, _created = Questionnaire.objects.get_or_create(
            participant=participant, time_point=time_point
        )
    except IntegrityError:
        # Two tabs saving their first page at the same moment: the other one created it.
        questionnaire = Questionnaire.objects.get(participant=participant, time_point=time_point)
    return questionnaire


@participant_required
@require_http_methods(["GET", "POST"])
def questionnaire_review(request: AuthenticatedHttpRequest, time_point_id: int) -> HttpResponse:
    """The last step: which pages still have blanks, and the button that sends the answers."""
    row = _scheduled_for(request, time_point_id)
    if not row.is_open:
        return _not_open(request, row)
    pages = _pages(row, request.user)
    stored = _stored(row)
    missing = [page for page in pages if not page.is_answered(stored)]
    if request.method == "POST":
        if missing or row.questionnaire is None:
            messages.warning(request, _("Some pages have not been answered yet."))
            return redirect("assessments:questionnaire-review", row.time_point.pk)
        row.questionnaire.submit()
        messages.success(request, _("Thank you. Your answers have been sent."))
        return redirect("assessments:questionnaire", row.time_point.pk)
    blanks = [
        (page, instrument_title(page.instrument), page.unanswered_count(stored))
        for page in pages
        if page.is_answered(stored) and page.unanswered_count(stored) and not page.is_bodymap
    ]
    return render(
        request,
        "assessments/questionnaire_review.html",
        {
            "row": row,
            "page_count": len(pages),
            "missing": [(page, instrument_title(page.instrument)) for page in missing],
            "blanks": blanks,
            "summary": _answer_summary(pages, stored, request.user.language),
        },
    )


@dataclass(frozen=True)
class AnsweredItem:
    number: int
    question: str
    answer: str  # "" when left blank or not reached


@dataclass(frozen=True)
class AnsweredPage:
    page: Page
    title: str
    items: list[AnsweredItem]


def _answer_summary(
    pages: list[Page], stored: dict[str, dict[str, Any]], lang: str
) -> list[AnsweredPage]:
    """What the participant answered, page by page, in the words they saw: the review page
    shows it before anything is sent."""
    summary = []
    texts_by_code = {}
    for page in pages:
        if page.instrument not in texts_by_code:
            texts_by_code[page.instrument] = resolve_texts(page.instrument, lang)
        texts = texts_by_code[page.instrument]
        answers = stored.get(page.instrument, {})
        items = []
        if page.is_bodymap:
            chosen = [texts.items[key].label for key in page.keys if answers.get(key)]
            items.append(
                AnsweredItem(page.first_item_number, _("Where it hurts"), ", ".join(chosen))
            )
        else:
            for offset, key in enumerate(page.keys):
                item = texts.items[key]
                items.append(
                    AnsweredItem(
                        page.first_item_number + offset,
                        item.label,
                        _answer_label(item, answers.get(key)),
                    )
                )
        summary.append(AnsweredPage(page, instrument_title(page.instrument), items))
    return summary


def _answer_label(item: Item, value: Any) -> str:
    if value is None:
        return ""
    for option in item.options or ():
        if option.value == value:
            return f"{option.label}"
    return str(value)


@participant_required
@require_GET
def my_results(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request, "assessments/my_results.html", {"histories": participant_history(request.user)}
    )


# -- staff pages ----------------------------------------------------------------------------------


def _care_role(user: User) -> Role:
    return Role.THERAPIST if user.is_therapist else Role.PHYSIOTHERAPIST


@care_staff_required
@require_GET
def staff_scores(request: AuthenticatedHttpRequest, participant_id: int) -> HttpResponse:
    """All scores of one participant with their history, risk flags and questionnaire status."""
    participant = get_participant_for_user(request.user, participant_id)
    AccessLog.record(
        actor=request.user,
        role=_care_role(request.user),
        subject=participant,
        action="questionnaire scores viewed",
    )
    handled = list(
        RiskFlag.objects.filter(participant=participant, resolved_at__isnull=False)
        .select_related("resolved_by", "questionnaire__time_point")
        .order_by("-resolved_at", "pk")
    )
    return render(
        request,
        "assessments/staff_scores.html",
        {
            "participant": participant,
            "histories": score_history(participant),
            "handled_flags": handled,
            "schedule": participant_schedule(participant),
            **open_flags_context(request, participant),
        },
    )


@admin_required
@require_GET
def texts_status(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Which instruments have the clinic's item texts installed, per language."""
    status = texts_file_status()
    texts = status.texts
    languages = [(code, name) for code, name in settings.LANGUAGES]
    rows = []
    for instrument in all_instruments():
        cells = []
        for lang, _name in languages:
            supplied = texts.get(instrument.code, lang) if texts is not None else None
            if supplied is not None:
                missing = len(supplied.missing_items(instrument))
                total = len(instrument.items)
                cells.append(
                    {
                        "state": "complete" if not missing else "partial",
                        "done": total - missing,
                        "total": total,
                        "licence": supplied.licence,
                    }
                )
            elif instrument.code in OWN_WORDING or (
                not instrument.placeholder_labels and lang == "en"
            ):
                cells.append({"state": "built-in"})
            elif not instrument.placeholder_labels:
                # The RAND-36 ships its public-domain English text only.
                cells.append({"state": "english"})
            else:
                cells.append({"state": "missing"})
        rows.append({"instrument": instrument, "cells": cells})
    return render(
        request,
        "assessments/texts_status.html",
        {
            "status": status,
            "languages": languages,
            "rows": rows,
            "waiting": _waiting_for_texts(),
        },
    )


@dataclass(frozen=True)
class Waiting:
    time_point: TimePoint
    code: str
    title: str
    languages: list[str]  # where its texts are missing
    scheduled: bool  # in the asked list (texts went missing) rather than the waiting list


def _waiting_for_texts() -> list[Waiting]:
    """What the active schedules want but cannot ask yet, and in which languages texts are
    missing: what the clinic has to install."""
    names = dict(settings.LANGUAGES)
    rows = []
    for time_point in TimePoint.objects.filter(is_active=True).select_related("schedule"):
        for code, asked in [
            *((code, True) for code in time_point.instruments),
            *((code, False) for code in time_point.awaiting_texts),
        ]:
            missing = languages_missing(code)
            if missing or not asked:
                rows.append(
                    Waiting(
                        time_point,
                        code,
                        instrument_title(code),
                        [str(names.get(lang, lang)) for lang in missing],
                        asked,
                    )
                )
    return rows
