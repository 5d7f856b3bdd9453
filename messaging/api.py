"""The HTTP API (django-ninja): send messages, delivery receipts, the suppression check,
inbound messages and email feedback.

Every endpoint needs ``Authorization: Bearer <token>`` (``accounts.tokens``);
the token's organization scopes everything, so another organization's sender
answers 404 like a missing one. Bad input answers 400 with
``{"errors": {field: message}}``, and nothing is stored from a rejected request.
OpenAPI at ``/api/v1/openapi.json``, docs at ``/api/v1/docs``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Literal

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest
from ninja import NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from pydantic import Field

from accounts import tokens
from accounts.access import Actor
from accounts.models import Subaccount
from accounts.normalization import normalize_email, normalize_phone
from accounts.tokens import authenticate
from blocklists.services import record_email_feedback
from messaging import inbound, selectors, services
from messaging.gateways import Receipt
from messaging.models import Priority, Trigger
from messaging.statuses import FailureCode

MAX_CHECK = 100_000
logger = logging.getLogger(__name__)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        api_token = authenticate(token)
        if api_token is None:
            return None
        request.api_token = api_token
        return Actor.for_token(api_token)


api = NinjaAPI(
    title="Handoff API",
    version="1",
    urls_namespace="api",
    auth=TokenAuth(),
    description=(
        "Send messages, report delivery receipts, check suppressions before sending, "
        "receive inbound messages and email bounces and complaints."
    ),
)


class BadRequest(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors


@api.exception_handler(BadRequest)
def bad_request(request, exc: BadRequest):
    return api.create_response(request, {"errors": exc.errors}, status=400)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    # A body that is not JSON at all reaches here as a 400: keep the API's error format.
    if exc.status_code == 400:
        return api.create_response(request, {"errors": {"body": str(exc)}}, status=400)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(NinjaValidationError)
def invalid_input(request, exc: NinjaValidationError):
    errors: dict[str, str] = {}
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query")]
        if location and location[0] == "payload":
            location = location[1:]
        field = location[0] if location else "body"
        errors.setdefault(field, error.get("msg", "Invalid value."))
    return api.create_response(request, {"errors": errors}, status=400)


# The database unreachable (restarting, failing over): nothing was stored, so say
# "try again" instead of a 500, in the API's format, with when to try.
DATABASE_RETRY_AFTER = 5


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request, exc):
    # Django closes the broken connection when the request ends; the next one reconnects.
    logger.warning("API answered 503: %s: %s", type(exc).__name__, exc)
    response = api.create_response(
        request,
        {"detail": "The service is briefly unavailable; retry in a few seconds."},
        status=503,
    )
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc):
    return api.create_response(
        request, {"detail": "Missing, unknown or revoked API token."}, status=401
    )


def _actor(request) -> Actor:
    return request.auth


def _sender(request, address: str):
    token = request.api_token
    sender = tokens.cached_sender(token, address)
    if sender is None:
        sender = selectors.sender_by_address(_actor(request), address)
        if sender is None:
            raise HttpError(404, f"No sender {address} in your organization.")
        tokens.remember_sender(token, address, sender)
    return sender


def _recipients(sender, values: list[str], field: str = "to") -> list[str]:
    recipients = services.normalize_recipients(sender, values)
    if recipients.errors:
        shown = list(recipients.errors.items())[:5]
        more = len(recipients.errors) - len(shown)
        message = "; ".join(f"#{i + 1}: {text}" for i, text in shown)
        raise BadRequest({field: message + (f"; and {more} more" if more > 0 else "")})
    return recipients.values


class MessageIn(Schema):
    sender: str
    to: str | list[str]
    text: str = ""
    template: str = ""
    variables: dict[str, str | int | float] = Field(default_factory=dict)
    label: str = ""
    priority: Literal["low", "normal", "high"] = Priority.NORMAL
    send_at: dt.datetime | None = None
    subaccount: str | None = None


class BatchOut(Schema):
    batch_id: str
    messages: int


class ErrorsOut(Schema):
    errors: dict[str, str]


class DetailOut(Schema):
    detail: str


@api.post(
    "/messages",
    response={201: BatchOut, 400: ErrorsOut, 401: DetailOut, 404: DetailOut},
    summary="Send one text to one or more numbers (now or at send_at)",
)
def send_messages(request, payload: MessageIn):
    sender = _sender(request, payload.sender)
    values = [payload.to] if isinstance(payload.to, str) else payload.to
    if not values:
        raise BadRequest({"to": "Give at least one number."})
    if len(values) > services.MAX_RECIPIENTS:
        raise BadRequest({"to": f"At most {services.MAX_RECIPIENTS:,} numbers per request."})
    if not (payload.text or "").strip():
        raise BadRequest({"text": "The text is empty."})
    if payload.send_at is not None and payload.send_at.tzinfo is None:
        raise BadRequest({"send_at": "Give a time zone offset, e.g. 2026-01-01T09:00:00Z."})
    subaccount = None
    if payload.subaccount:
        subaccount = Subaccount.objects.filter(
            organization=sender.organization, name=payload.subaccount
        ).first()
        if subaccount is None:
            raise BadRequest({"subaccount": f"No subaccount named “{payload.subaccount}”."})
    subscribers = _recipients(sender, values)
    batch = services.create_batch(
        organization=sender.organization,
        sender=sender,
        subscribers=subscribers,
        text=payload.text,
        trigger=Trigger.API,
        variables={k: str(v) for k, v in payload.variables.items()},
        template=payload.template,
        label=payload.label,
        priority=payload.priority,
        send_at=payload.send_at,
        subaccount=subaccount,
    )
    return Status(201, {"batch_id": batch.public_id, "messages": len(subscribers)})


class StatusIn(Schema):
    provider_message_id: str = Field(min_length=1, max_length=100)
    status: Literal["delivered", "failed"]
    # The channel failure codes (messaging.statuses): the schema lists them, so a client
    # sees before sending that 0 or 404 is not one.
    error_code: Literal[500, 510, 520, 530, 540, 550, 560, 570, 580, 590] | None = None
    at: dt.datetime | None = None


class StatusOut(Schema):
    provider_message_id: str
    status: str


@api.post(
    "/status",
    response={202: StatusOut, 400: ErrorsOut, 401: DetailOut, 404: DetailOut},
    summary="A delivery receipt from the channel",
)
def delivery_status(request, payload: StatusIn):
    if payload.error_code is not None and payload.error_code not in FailureCode.values:
        raise BadRequest({"error_code": "Use one of 500, 510, ... 590."})
    if payload.status == "delivered" and payload.error_code is not None:
        raise BadRequest({"error_code": "A delivered receipt has no error code."})
    if payload.at is not None and payload.at.tzinfo is None:
        raise BadRequest({"at": "Give a time zone offset, e.g. 2026-01-01T09:00:00Z."})
    try:
        message = services.apply_receipt(
            organization=_actor(request).organization,
            receipt=Receipt(
                provider_message_id=payload.provider_message_id,
                delivered=payload.status == "delivered",
                error_code=payload.error_code,
                at=payload.at,
            ),
        )
    except services.UnknownMessage as exc:
        raise HttpError(404, "No message with this provider_message_id.") from exc
    return Status(
        202, {"provider_message_id": payload.provider_message_id, "status": message.status}
    )


class CheckIn(Schema):
    sender: str
    to: list[str]


def _check(request, sender_address: str, values: list[str]) -> tuple[list[str], dict]:
    sender = _sender(request, sender_address)
    if not values:
        raise BadRequest({"to": "Give at least one subscriber."})
    if len(values) > MAX_CHECK:
        raise BadRequest({"to": f"At most {MAX_CHECK:,} subscribers per request."})
    subscribers = _recipients(sender, values)
    return subscribers, selectors.suppressions_among(sender, subscribers)


@api.get(
    "/suppressions/check",
    response={200: dict, 400: ErrorsOut, 401: DetailOut, 404: DetailOut},
    summary="May this sender message this subscriber now?",
)
def check_one(request, sender: str = Query(...), to: str = Query(...)):
    subscribers, found = _check(request, sender, [to])
    reasons = found.get(subscribers[0], [])
    return {"to": subscribers[0], "blocked": bool(reasons), "reasons": reasons}


@api.post(
    "/suppressions/check",
    response={200: dict, 400: ErrorsOut, 401: DetailOut, 404: DetailOut},
    summary="The same check for up to 100,000 subscribers: only the blocked ones are listed",
)
def check_many(request, payload: CheckIn):
    subscribers, found = _check(request, payload.sender, payload.to)
    return {"checked": len(subscribers), "blocked": found}


def _aware(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise BadRequest({field: "Give a time zone offset, e.g. 2026-01-01T09:00:00Z."})
    return value


class InboundIn(Schema):
    sender: str = Field(min_length=1, max_length=254)
    from_: str = Field(alias="from", min_length=1, max_length=254)
    text: str = Field(max_length=10_000)
    channel: Literal["sms", "whatsapp", "rcs"]
    provider_message_id: str = Field(min_length=1, max_length=100)
    received_at: dt.datetime | None = None


class InboundOut(Schema):
    id: int
    duplicate: bool


@api.post(
    "/inbound",
    response={200: InboundOut, 202: InboundOut, 400: ErrorsOut, 401: DetailOut, 404: DetailOut},
    summary="A message a customer sent to one of your senders",
)
def receive_inbound(request, payload: InboundIn):
    """202 once stored and queued for processing (keywords, replies, tickets); the same
    provider_message_id on the same sender again answers 200 with ``duplicate: true``."""
    received_at = _aware(payload.received_at, "received_at")
    sender = _sender(request, payload.sender)
    if sender.kind not in inbound.CHANNEL_KINDS[payload.channel]:
        kind = sender.get_kind_display()
        raise BadRequest({"channel": f"{sender.address} is a {kind}, not {payload.channel}."})
    try:
        subscriber = normalize_phone(payload.from_, sender.organization.country)
    except Exception as exc:  # ValidationError: the person-readable message
        raise BadRequest({"from": getattr(exc, "messages", [str(exc)])[0]}) from exc
    result = inbound.receive_inbound(
        sender=sender,
        subscriber=subscriber,
        text=payload.text,
        provider_message_id=payload.provider_message_id,
        received_at=received_at,
    )
    body = {"id": result.message.pk, "duplicate": result.duplicate}
    return Status(200 if result.duplicate else 202, body)


class EmailEventIn(Schema):
    sender: str = Field(min_length=1, max_length=254)
    address: str = Field(min_length=1, max_length=254)
    event: Literal["bounce", "complaint"]
    bounce_type: Literal["hard", "soft"] | None = None
    at: dt.datetime | None = None


class EmailEventOut(Schema):
    address: str
    blocked: bool


@api.post(
    "/email-events",
    response={202: EmailEventOut, 400: ErrorsOut, 401: DetailOut, 404: DetailOut},
    summary="A bounce or complaint from your email provider",
)
def email_event(request, payload: EmailEventIn):
    """Hard bounces and complaints blocklist the address on that sender (source email
    server); soft bounces do after 3 in 7 days. ``blocked`` says whether it is now."""
    at = _aware(payload.at, "at")
    sender = _sender(request, payload.sender)
    if not sender.is_email:
        raise BadRequest({"sender": f"{sender.address} is not an email sender."})
    if payload.event == "bounce" and payload.bounce_type is None:
        raise BadRequest({"bounce_type": "Say whether the bounce is hard or soft."})
    try:
        address = normalize_email(payload.address)
    except Exception as exc:  # ValidationError: the person-readable message
        raise BadRequest({"address": getattr(exc, "messages", [str(exc)])[0]}) from exc
    blocked = record_email_feedback(
        sender=sender,
        address=address,
        event=payload.event,
        bounce_type=payload.bounce_type,
        at=at,
    )
    return Status(202, {"address": address, "blocked": blocked})
