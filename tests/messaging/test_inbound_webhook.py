"""The inbound webhook's lean path (``messaging.inbound_webhook``) answers exactly as the
API did through the whole middleware stack and django-ninja's request cycle.

Each request is posted twice: through the configured stack (the lean path answers it)
and through the same stack without ``InboundWebhookMiddleware`` (django-ninja answers
it, as before). Status, body and headers must be the same.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client, override_settings

from accounts.models import ApiToken
from accounts.tokens import hash_secret, revoke_token
from messaging.models import Direction, Message

LEAN = "messaging.inbound_webhook.InboundWebhookMiddleware"
URL = "/api/v1/inbound"
CUSTOMER = "+14155550123"


def without_lean_path():
    return override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if m != LEAN])


def post(body, *, secret=None, raw=False, method="post", **extra) -> object:
    """One request through a fresh client (its handler reads MIDDLEWARE when it starts)."""
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    if method == "get":
        return Client().get(URL, headers=headers, **extra)
    data = body if raw else json.dumps(body)
    return Client().post(URL, data, content_type="application/json", headers=headers, **extra)


def answer(response) -> tuple:
    return response.status_code, response.content, sorted(response.items())


def both(body, **kwargs) -> tuple:
    lean = post(body, **kwargs)
    with without_lean_path():
        ninja = post(body, **kwargs)
    return lean, ninja


def payload(**changes) -> dict:
    return {
        "sender": "52811",
        "from": CUSTOMER,
        "text": "Hello",
        "channel": "sms",
        "provider_message_id": "same-1",
        **changes,
    }


def test_the_lean_path_is_configured_right_after_the_security_middleware():
    assert settings.MIDDLEWARE[:2] == ["django.middleware.security.SecurityMiddleware", LEAN]


def test_the_path_is_the_api_operations_path():
    from django.urls import reverse

    from messaging.inbound_webhook import PATH

    assert reverse("api:receive_inbound") == PATH


BAD_BODIES = [
    payload(**{"from": "not a number"}),
    payload(channel="fax"),
    payload(channel="whatsapp"),
    payload(provider_message_id=""),
    payload(provider_message_id="x" * 101),
    payload(received_at="yesterday"),
    payload(received_at="2026-03-01T10:00:00"),
    payload(text=None),
    payload(text=12),
    payload(text="x" * 10_001),
    payload(sender=""),
    payload(sender=["52811"]),
    {"sender": "52811"},
    {},
    [],
    "STOP",
    None,
    12,
]


@pytest.mark.parametrize("body", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_invalid_bodies_get_the_same_400(sender, api_token, body):
    lean, ninja = both(body, secret=api_token)
    assert lean.status_code == 400, lean.content
    assert answer(lean) == answer(ninja)
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "raw",
    ['{"sender": ', "not json", "", '{"sender": "52811", "text": "hi\\u0000"}', "\x00"],
)
def test_unparseable_empty_and_nul_bodies_get_the_same_400(sender, api_token, raw):
    lean, ninja = both(raw, secret=api_token, raw=True)
    assert lean.status_code == 400, lean.content
    assert answer(lean) == answer(ninja)


def test_unknown_sender_and_other_organizations_sender_get_the_same_404(
    sender, other_sender, api_token
):
    for address in ("00000", "52999"):
        lean, ninja = both(payload(sender=address), secret=api_token)
        assert lean.status_code == 404
        assert answer(lean) == answer(ninja)


@pytest.mark.parametrize("secret", [None, "hnd_nope", "Basic abc"])
def test_missing_and_unknown_tokens_get_the_same_401(sender, secret):
    lean, ninja = both(payload(), secret=secret)
    assert lean.status_code == 401
    assert answer(lean) == answer(ninja)
    # Authentication comes first: an invalid body without a token is a 401 too.
    lean, ninja = both([], secret=secret)
    assert (lean.status_code, answer(lean)) == (401, answer(ninja))


def test_a_token_revoked_while_cached_is_refused_at_once(org, sender, api_token):
    assert post(payload(provider_message_id="before"), secret=api_token).status_code == 202
    token = ApiToken.objects.get(key_hash=hash_secret(api_token))
    assert revoke_token(organization=org, token_id=token.pk)
    lean, ninja = both(payload(provider_message_id="after"), secret=api_token)
    assert lean.status_code == 401
    assert answer(lean) == answer(ninja)
    assert not Message.objects.filter(provider_message_id="after").exists()


def test_new_and_duplicate_messages_answer_alike(sender, api_token):
    lean = post(payload(provider_message_id="lean-1"), secret=api_token)
    with without_lean_path():
        ninja = post(payload(provider_message_id="ninja-1"), secret=api_token)
    assert (lean.status_code, ninja.status_code) == (202, 202)
    lean_id, ninja_id = lean.json()["id"], ninja.json()["id"]
    assert lean.content == json.dumps({"id": lean_id, "duplicate": False}).encode()
    assert ninja.content == json.dumps({"id": ninja_id, "duplicate": False}).encode()
    assert answer(lean)[2] == answer(ninja)[2]
    # Each path recognises the other's message as the duplicate it is.
    again_lean = post(payload(provider_message_id="ninja-1"), secret=api_token)
    with without_lean_path():
        again_ninja = post(payload(provider_message_id="lean-1"), secret=api_token)
    assert again_lean.status_code == again_ninja.status_code == 200
    assert again_lean.json() == {"id": ninja_id, "duplicate": True}
    assert again_ninja.json() == {"id": lean_id, "duplicate": True}
    assert answer(again_lean)[2] == answer(again_ninja)[2]
    stored = Message.objects.filter(direction=Direction.INBOUND).order_by("pk")
    assert [m.provider_message_id for m in stored] == ["lean-1", "ninja-1"]
    lean_row, ninja_row = stored
    assert lean_row.subscriber == ninja_row.subscriber == CUSTOMER
    assert lean_row.status == ninja_row.status == "received"


@pytest.mark.parametrize("where", ["token", "store"])
def test_database_down_is_the_same_503_with_retry_after(sender, api_token, database_down, where):
    database_down(where)
    lean, ninja = both(payload(), secret=api_token)
    assert lean.status_code == 503
    assert lean["Retry-After"] == "5"
    assert answer(lean) == answer(ninja)


def test_other_methods_and_paths_go_down_the_stack(sender, api_token):
    lean, ninja = both(payload(), secret=api_token, method="get")
    assert lean.status_code == 405
    assert answer(lean) == answer(ninja)
    response = Client().post(
        URL + "/", payload(), content_type="application/json", headers={"Authorization": "x"}
    )
    assert response.status_code == 404


def test_a_host_not_allowed_is_refused_before_anything_is_stored(sender, api_token):
    lean, ninja = both(payload(), secret=api_token, HTTP_HOST="evil.example")
    assert lean.status_code == ninja.status_code == 400
    assert not Message.objects.exists()


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_to_https_as_before(sender, api_token):
    lean, ninja = both(payload(), secret=api_token)
    assert lean.status_code == 301
    assert answer(lean) == answer(ninja)
    assert not Message.objects.exists()
