"""The public unsubscribe page behind the links in emails: no login, signed tokens.

``GET`` asks for confirmation; the Confirm button (a CSRF-checked form) adds the
address to the sender's blocklist. A mailbox provider's RFC 8058 one-click
``POST`` (body ``List-Unsubscribe=One-Click``) carries no cookie and no CSRF
token, so the view is exempt and checks CSRF itself for every other POST.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.models import Sender, SenderKind
from blocklists.models import Source
from blocklists.services import opt_out
from blocklists.unsubscribe import (
    UnsubscribeLinkExpired,
    UnsubscribeLinkInvalid,
    mask_address,
    read_unsubscribe_token,
)

TEMPLATES = "blocklists/unsubscribe/"


def _is_one_click(request: HttpRequest) -> bool:
    return request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click"


def _csrf_failure(request: HttpRequest) -> HttpResponse | None:
    """The CSRF middleware's answer for this request, as if the view were not exempt."""
    return CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    one_click = _is_one_click(request)
    if request.method == "POST" and not one_click:
        failure = _csrf_failure(request)
        if failure is not None:
            return failure
    try:
        sender_id, address = read_unsubscribe_token(token)
    except UnsubscribeLinkExpired:
        if one_click:
            return HttpResponse(
                "This unsubscribe link has expired.",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        return render(request, TEMPLATES + "expired.html", status=400)
    except UnsubscribeLinkInvalid:
        if one_click:
            return HttpResponse(
                "This unsubscribe link is not valid.",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        return render(request, TEMPLATES + "invalid.html", status=400)
    sender = (
        Sender.objects.select_related("organization")
        .filter(pk=sender_id, kind=SenderKind.EMAIL)
        .first()
    )
    if sender is None:
        if one_click:
            return HttpResponse(
                "This sender no longer exists.",
                status=404,
                content_type="text/plain; charset=utf-8",
            )
        return render(request, TEMPLATES + "gone.html", status=404)

    context = {"sender": sender, "masked_address": mask_address(address)}
    if one_click:
        opt_out(
            sender=sender,
            subscriber=address,
            source=Source.OPT_OUT,
            note="unsubscribe link (one-click)",
        )
        return HttpResponse(
            f"Unsubscribed from {sender}.", content_type="text/plain; charset=utf-8"
        )
    if request.method == "POST" and "confirm" in request.POST:
        opt_out(sender=sender, subscriber=address, source=Source.OPT_OUT, note="unsubscribe link")
        return render(request, TEMPLATES + "done.html", context)
    return render(request, TEMPLATES + "confirm.html", context)
