"""API tokens: the management command, the Settings page, revocation."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import ApiToken
from accounts.tokens import authenticate, hash_secret


def test_command_prints_the_secret_once_and_stores_its_hash(org):
    out = io.StringIO()
    call_command(
        "create_api_token", "--org", "acme", "--name", "CRM", stdout=out, stderr=io.StringIO()
    )
    secret = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert (token.name, token.organization) == ("CRM", org)
    assert token.key_hash == hash_secret(secret) and secret not in token.key_hash
    assert secret.startswith(token.prefix)
    assert authenticate(secret) == token
    with pytest.raises(CommandError):
        call_command("create_api_token", "--org", "nope")


def test_tokens_page_for_admins_only(login, agent, supervisor, admin_user, other_admin):
    url = reverse("accounts:api-tokens")
    assert login(agent).get(url).status_code == 403
    assert login(supervisor).get(url).status_code == 403
    client = login(admin_user)
    assert client.get(url).status_code == 200
    assert client.put(url).status_code == 405
    created = client.post(url, {"name": "CRM"})
    assert created.status_code == 200
    token = ApiToken.objects.get()
    secret = created.context["secret"]
    assert secret in created.content.decode()
    assert secret not in client.get(url).content.decode()  # shown once
    revoke = reverse("accounts:api-token-revoke", args=[token.pk])
    assert client.put(revoke).status_code == 405
    assert login(other_admin).get(revoke).status_code == 404
    assert login(other_admin).post(revoke).status_code == 404
    # The list links to a dialog that asks first; only its POST revokes.
    assert f'href="{revoke}"' in client.get(url).content.decode()
    dialog = client.get(revoke).content.decode()
    assert "Revoke the token CRM?" in dialog and "get 401" in dialog
    assert authenticate(secret) == token
    revoked = client.post(revoke, follow=True)
    assert "Token CRM revoked" in revoked.content.decode()
    assert authenticate(secret) is None
    assert client.get(revoke).status_code == 404  # a revoked token has nothing to revoke
    assert f'href="{revoke}"' not in client.get(url).content.decode()


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "Give the token a name"),
        ("   ", "Give the token a name"),
        ("CRM\x00", "Null characters are not allowed"),
        ("x" * 101, "at most 100 characters"),
    ],
)
def test_a_token_name_that_cannot_be_kept_is_refused(login, admin_user, name, error):
    response = login(admin_user).post(reverse("accounts:api-tokens"), {"name": name})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not ApiToken.objects.exists()


# The token cache (accounts.tokens): every API call reads it, nothing it holds may outlive
# a change in the database.

CHECK = {"sender": "52811", "to": "+14155550123"}


def test_a_token_in_use_revoked_answers_401_at_once(api, org, sender, api_token):
    from accounts.tokens import revoke_token

    assert api.get("/suppressions/check", CHECK).status_code == 200  # now cached
    token = ApiToken.objects.get(key_hash=hash_secret(api_token))
    assert revoke_token(organization=org, token_id=token.pk)
    assert api.get("/suppressions/check", CHECK).status_code == 401


def test_revoked_or_deleted_elsewhere_answers_401_at_once(api, org, sender, api_token):
    from django.utils import timezone

    from accounts.tokens import create_token

    assert api.get("/suppressions/check", CHECK).status_code == 200
    token = ApiToken.objects.get(key_hash=hash_secret(api_token))
    token.revoked_at = timezone.now()  # as the Django admin does
    token.save()
    assert api.get("/suppressions/check", CHECK).status_code == 401

    _other, secret = create_token(organization=org, name="second")
    assert api.get("/suppressions/check", CHECK, secret=secret).status_code == 200
    ApiToken.objects.get(key_hash=hash_secret(secret)).delete()
    assert api.get("/suppressions/check", CHECK, secret=secret).status_code == 401


def test_a_request_caching_the_token_while_it_is_revoked_cannot_bring_it_back(
    api, org, sender, api_token
):
    from django.core.cache import cache

    from accounts.tokens import revoke_token

    assert api.get("/suppressions/check", CHECK).status_code == 200
    token = authenticate(api_token)
    assert revoke_token(organization=org, token_id=token.pk)
    # The race: a request that read the token before the revocation writes it back after.
    cache.set(f"apitoken:{token.key_hash}", token, 60)
    assert api.get("/suppressions/check", CHECK).status_code == 401
    assert authenticate(api_token) is None


def test_changes_to_senders_and_the_organization_apply_at_once(api, org, sender, api_token):
    inbound = {
        "sender": "52811",
        "from": "020 7946 0018",
        "text": "hello",
        "channel": "sms",
        "provider_message_id": "p-1",
    }
    assert api.get("/suppressions/check", CHECK).status_code == 200  # sender now cached
    assert api.post("/inbound", inbound).status_code == 400  # a UK number, org in the US
    org.country = "GB"
    org.save()
    answer = api.post("/inbound", inbound)
    assert answer.status_code == 202, answer.content
    sender.address = "52999"
    sender.save()
    assert api.get("/suppressions/check", CHECK).status_code == 404
    assert api.get("/suppressions/check", {**CHECK, "sender": "52999"}).status_code == 200


def test_api_calls_still_answer_when_the_cache_is_unreachable(api, org, sender, api_token):
    from django.test import override_settings

    dead = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    with override_settings(CACHES=dead):
        assert api.get("/suppressions/check", CHECK).status_code == 200
        answer = api.post(
            "/inbound",
            {
                "sender": "52811",
                "from": "+14155550123",
                "text": "hello",
                "channel": "sms",
                "provider_message_id": "while-redis-is-down",
            },
        )
        assert answer.status_code == 202, answer.content
