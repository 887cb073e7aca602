"""Error pages that say in plain words what went wrong. Django's own 400 view tells the person
nothing; this one names the cause when it is one they can act on (a post too large, too many
fields, text that is not UTF-8), without repeating anything they sent."""

from __future__ import annotations

from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

TOO_BIG, TOO_MANY_FIELDS, MALFORMED = "too_big", "too_many_fields", "malformed"


def _reason(exception: Exception | None) -> str:
    if isinstance(exception, RequestDataTooBig):
        return TOO_BIG
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        return TOO_MANY_FIELDS
    return MALFORMED


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    template = loader.get_template("400.html")
    body = template.render({"reason": _reason(exception)}, request)
    response = HttpResponseBadRequest(body)
    response["X-Error-Reason"] = _reason(exception)
    return response
