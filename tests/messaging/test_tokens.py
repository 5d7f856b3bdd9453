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
    assert client.get(revoke).status_code == 405
    assert login(other_admin).post(revoke).status_code == 404
    assert client.post(revoke).status_code == 302
    assert authenticate(secret) is None
