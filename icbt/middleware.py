"""Response headers Django's SecurityMiddleware does not set."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse


class SecurityHeadersMiddleware:
    """Permissions-Policy (browser features no page needs are off) and
    Cross-Origin-Resource-Policy (no other site may embed our responses), on every response,
    static files included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if settings.CROSS_ORIGIN_RESOURCE_POLICY:
            response.headers.setdefault(
                "Cross-Origin-Resource-Policy", settings.CROSS_ORIGIN_RESOURCE_POLICY
            )
        return response


class FormEncodingMiddleware:
    """Refuses a form post whose fields are not valid UTF-8, with the 400 page (icbt.errors),
    instead of storing the replacement characters Django would decode them into. Reading the
    body here also applies DATA_UPLOAD_MAX_MEMORY_SIZE before any view runs."""

    FORM = "application/x-www-form-urlencoded"
    MULTIPART = "multipart/form-data"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in {"POST", "PUT", "PATCH"}:
            params = request.content_params or {}
            charset = (params.get("charset") or "utf-8").lower()
            try:
                if request.content_type == self.FORM:
                    unquote_to_bytes(request.body.replace(b"+", b" ")).decode(charset)
                elif request.content_type == self.MULTIPART:
                    # Django decodes multipart fields with replacement characters; reading the
                    # body first leaves it to parse the same bytes afterwards.
                    check_multipart_text(request.body, params.get("boundary", ""), charset)
            except (UnicodeDecodeError, LookupError):
                raise MalformedRequest("The form data is not valid text.") from None
        return self.get_response(request)


def check_multipart_text(body: bytes, boundary: str, charset: str) -> None:
    """Raises UnicodeDecodeError unless every part's headers and every non-file field's value
    decode with `charset`. A file's content is bytes, and is not checked."""
    if not boundary:
        raise UnicodeDecodeError(charset, b"", 0, 0, "multipart without a boundary")
    for part in body.split(b"--" + boundary.encode("ascii", "replace")):
        head, separator, content = part.partition(b"\r\n\r\n")
        if not separator:
            continue
        head.decode(charset)
        if b"filename=" not in head:
            content.decode(charset)


class MalformedRequest(SuspiciousOperation):
    """A request whose content cannot be read as sent."""
