"""``POST /api/v1/inbound`` without the pages' middleware: the hot path of issue #6.

Providers call the inbound webhook for every message a customer sends, so it
is the one endpoint that must take hundreds of calls a second on two cores.
The pages' middleware (sessions, CSRF, auth, messages, htmx, the actor's
membership query) costs it CPU and gives it nothing: the API authenticates by
bearer token. ``InboundWebhookMiddleware`` sits right after Django's
``SecurityMiddleware`` (HTTPS redirect and its headers still apply) and answers
this one path and method itself; everything else goes down the stack as before.

The answer is the API's own: the same token authentication
(``messaging.api.TokenAuth``, revocation at once), the same request models
and pydantic validation as django-ninja's operation (its body model, its
error list, the API's ``{"errors": {field: message}}`` handler), the same view
function (``messaging.api.receive_inbound``) and the same exception handlers
(401, 400, 404, 503 with Retry-After). What it skips is the machinery around
them: URL resolving, the middleware above, ninja's temporal response and its
response-model round trip for a body the view builds from two typed values.
It also does what the skipped middleware did for this path: the
``ALLOWED_HOSTS`` check and ``Content-Length`` (``CommonMiddleware``), the NUL
refusal (``RejectNulMiddleware``), and the headers the others add
(``X-Frame-Options``, ``Content-Security-Policy``, ``Vary: Cookie``).
``tests/messaging/test_inbound_webhook.py`` posts the same requests both ways
and compares status, body and headers.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, ValidationErrorContext
from pydantic import ValidationError

from accounts.middleware import RejectNulMiddleware, SecurityHeadersMiddleware
from messaging import api as api_module

PATH = "/api/v1/inbound"

_operation = api_module.receive_inbound._ninja_operation
_token_auth = api_module.TokenAuth()


class InboundWebhookMiddleware:
    """Answers ``POST /api/v1/inbound`` itself (see the module); passes on the rest."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.frame_options = settings.X_FRAME_OPTIONS.upper()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != PATH or request.method != "POST":
            return self.get_response(request)
        request.get_host()  # ALLOWED_HOSTS: DisallowedHost answers 400, as for any request
        if RejectNulMiddleware.has_nul(request):
            response = RejectNulMiddleware.rejected()
        else:
            response = receive_inbound(request)
        response["X-Frame-Options"] = self.frame_options
        response["Content-Security-Policy"] = SecurityHeadersMiddleware.POLICY
        # The stack below reads the session for every request (the actor), so its
        # answers vary by cookie; kept so both paths answer alike.
        response["Vary"] = "Cookie"
        response["Content-Length"] = str(len(response.content))  # as CommonMiddleware does
        return response


def receive_inbound(request: HttpRequest) -> HttpResponse:
    """The API's inbound operation, called without ninja's request cycle around it."""
    api = api_module.api
    try:
        actor = _token_auth(request)
    except Exception as exc:  # the database down while reading the token: 503
        return api.on_exception(request, exc)
    if not actor:
        return api.on_exception(request, AuthenticationError())
    request.auth = actor
    try:
        values = {}
        errors = []
        for model in _operation.models:
            try:
                values.update(model.resolve(request, api, {}))
            except ValidationError as exc:
                errors.append(ValidationErrorContext(pydantic_validation_error=exc, model=model))
        if errors:
            raise api.validation_error_from_error_contexts(errors)
        result = api_module.receive_inbound(request, **values)
        return api.create_response(request, result.value, status=result.status_code)
    except Exception as exc:
        return api.on_exception(request, exc)
