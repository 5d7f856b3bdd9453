"""The permission matrix, generated from the URL configuration.

Every URL pattern (outside Django's admin) must have an entry in MATRIX, or the
suite fails: a new page cannot ship without deciding who may use it. For each
page the entry gives the minimum role, whether it shows one object of an
organization, and its methods; the expected answer for every persona follows:

- anonymous: redirected to the login page;
- a role below the minimum (in either organization): 403;
- the organization's own people with the role: success (2xx or a redirect that
  is not to the login page);
- the other organization with the role: its own list (success) or, for an
  object of the first organization, 404;
- a method the page does not take: 405.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Role
from accounts.tokens import create_token
from blocklists import import_services, interceptions, keywords, services
from blocklists.models import ConsentText, KeywordRule
from contacts.services import route_inbound
from messaging.services import create_batch
from tests.factories import SubaccountFactory

AGENT, SUPERVISOR, ADMIN = Role.AGENT, Role.SUPERVISOR, Role.ADMIN


def _sender(ctx):
    return {"pk": ctx["sender"].pk}


def _entry(ctx):
    entry = services.opt_out(sender=ctx["sender"], subscriber="+14155550123").entry
    return {"sender_pk": ctx["sender"].pk, "pk": entry.pk}


def _interception(ctx):
    made = interceptions.intercept_from_failure(
        number="+14155550123", code=520, organization=ctx["org"]
    )
    return {"pk": made.pk}


def _keyword(ctx):
    keywords.ensure_default_keywords(ctx["org"])
    return {"pk": KeywordRule.objects.get(organization=ctx["org"], keyword="END").pk}


def _review(ctx):
    item = keywords.handle_inbound_text(
        organization=ctx["org"],
        sender=ctx["sender"],
        subscriber="+14155550123",
        text="please stop texting me",
    ).possible_opt_out
    return {"pk": item.pk, "decision": "dismiss"}


def _import_job(ctx):
    upload = SimpleUploadedFile("list.csv", b"mobile\n4155550123\n", content_type="text/csv")
    job = import_services.create_import_job(
        sender=ctx["sender"],
        uploaded_file=upload,
        user=None,
        consent=ConsentText.current(ConsentText.Purpose.ADD),
    )
    return {"pk": job.pk}


def _batch(ctx):
    batch = create_batch(
        organization=ctx["org"], sender=ctx["sender"], subscribers=["+14155550123"], text="Hi"
    )
    return {"public_id": batch.public_id}


def _message(ctx):
    batch = create_batch(
        organization=ctx["org"], sender=ctx["sender"], subscribers=["+14155550123"], text="Hi"
    )
    return {"pk": batch.messages.get().pk}


def _ticket(ctx):
    ctx["org"].block_contacts_enabled = True
    ctx["org"].save()
    ticket = route_inbound(
        organization=ctx["org"],
        sender=ctx["sender"],
        address="+14155550123",
        text="hi",
        channel="sms",
    )
    return ticket


def _contact(ctx):
    return {"pk": _ticket(ctx).contact_id}


def _ticket_pk(ctx):
    return {"pk": _ticket(ctx).pk}


def _token(ctx):
    token, _secret = create_token(organization=ctx["org"], name="matrix")
    return {"pk": token.pk}


def _number(ctx):
    return {"number": "+14155550123"}


def _subaccount(ctx):
    return {"pk": SubaccountFactory(organization=ctx["org"]).pk}


# name: (minimum role, object builder or None for a list, allowed methods,
#        staff expectation when it differs: "404" for pages that need an organization)
MATRIX: dict[str, tuple] = {
    "home": (AGENT, None, "GET"),
    "accounts:settings": (ADMIN, None, "GET POST", "404"),
    "accounts:sender-create": (ADMIN, None, "GET POST", "404"),
    "accounts:sender-edit": (ADMIN, _sender, "GET POST", "404"),
    "accounts:subaccount-create": (ADMIN, None, "GET POST", "404"),
    "accounts:subaccount-edit": (ADMIN, _subaccount, "GET POST", "404"),
    "accounts:api-tokens": (ADMIN, None, "GET POST", "404"),
    "accounts:api-token-revoke": (ADMIN, _token, "GET POST", "404"),
    "handoff:index": (AGENT, None, "GET"),
    "handoff:block-list": (AGENT, None, "GET"),
    "handoff:messages": (AGENT, None, "GET"),
    "handoff:sms-status": (AGENT, None, "GET"),
    "handoff:replies": (AGENT, None, "GET"),
    "handoff:batches": (AGENT, None, "GET"),
    "handoff:number": (AGENT, "list", "GET", None, _number),
    "handoff:interceptions": (AGENT, None, "GET"),
    "blocklists:index": (AGENT, None, "GET"),
    "blocklists:history": (AGENT, None, "GET"),
    "blocklists:subscriber-panel": (AGENT, None, "GET"),
    "blocklists:add": (SUPERVISOR, lambda ctx: {"sender_pk": ctx["sender"].pk}, "GET POST"),
    "blocklists:revert": (ADMIN, _entry, "GET POST"),
    "blocklists:interceptions": (AGENT, None, "GET"),
    "blocklists:interception-delete": (SUPERVISOR, _interception, "GET POST"),
    "blocklists:keywords": (ADMIN, None, "GET POST", "404"),
    "blocklists:keyword-remove": (ADMIN, _keyword, "GET POST", "404"),
    "blocklists:review": (SUPERVISOR, None, "GET"),
    "blocklists:review-decide": (SUPERVISOR, _review, "GET POST"),
    "blocklists:import-list": (AGENT, None, "GET"),
    "blocklists:import-upload": (ADMIN, lambda ctx: {"sender_pk": ctx["sender"].pk}, "POST"),
    "blocklists:import-detail": (AGENT, _import_job, "GET"),
    "blocklists:import-map": (ADMIN, _import_job, "GET POST"),
    "blocklists:import-cancel": (ADMIN, _import_job, "POST"),
    "blocklists:import-retry": (ADMIN, _import_job, "POST"),
    "blocklists:import-errors": (AGENT, _import_job, "GET"),
    "messaging:index": (AGENT, None, "GET"),
    "messaging:batches": (AGENT, None, "GET"),
    "messaging:batch": (AGENT, _batch, "GET"),
    "messaging:batch-cancel": (SUPERVISOR, _batch, "GET POST"),
    "messaging:message": (AGENT, _message, "GET"),
    "messaging:send": (SUPERVISOR, None, "GET POST"),
    "contacts:index": (AGENT, None, "GET"),
    "contacts:contact": (AGENT, _contact, "GET"),
    "contacts:block": (AGENT, _contact, "GET POST"),
    "contacts:unblock": (SUPERVISOR, _contact, "GET POST"),
    "contacts:agent-dashboard": (AGENT, None, "GET"),
    "contacts:supervisor-dashboard": (SUPERVISOR, None, "GET"),
    "contacts:blocked-tickets": (SUPERVISOR, None, "GET"),
    "contacts:ticket": (AGENT, _ticket_pk, "GET"),
    "contacts:take-ticket": (AGENT, _ticket_pk, "POST"),
    "contacts:unblock-ticket": (SUPERVISOR, _ticket_pk, "POST"),
}

# Pages outside the session-and-role rules, checked by their own tests.
ELSEWHERE = {
    "login": "tests/accounts/test_pages.py",
    "logout": "tests/accounts/test_pages.py",
    "unsubscribe:unsubscribe": "tests/blocklists/test_unsubscribe.py (signed token, no login)",
    "api:openapi-json": "public description of the API",
    "api:openapi-view": "public API docs",
    "api:api-root": "django-ninja's root",
    "api:send_messages": "tests/messaging/test_api.py (bearer token)",
    "api:delivery_status": "tests/messaging/test_api.py (bearer token)",
    "api:check_one": "tests/messaging/test_api.py (bearer token)",
    "api:check_many": "tests/messaging/test_api.py (bearer token)",
    "api:receive_inbound": "tests/messaging/test_inbound.py (bearer token)",
    "api:email_event": "tests/messaging/test_inbound.py (bearer token)",
}

RANK = {AGENT: 1, SUPERVISOR: 2, ADMIN: 3}
PERSONAS = {
    # persona: (fixture, role, same organization)
    "agent": ("agent", AGENT, True),
    "supervisor": ("supervisor", SUPERVISOR, True),
    "admin": ("admin_user", ADMIN, True),
    "other_agent": ("other_agent", AGENT, False),
    "other_admin": ("other_admin", ADMIN, False),
}


def url_names() -> set[str]:
    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return set(walk(get_resolver().url_patterns))


def test_every_url_is_in_the_matrix():
    missing = url_names() - set(MATRIX) - set(ELSEWHERE)
    assert not missing, f"Add these URL names to the permission matrix: {sorted(missing)}"
    stale = (set(MATRIX) | set(ELSEWHERE)) - url_names()
    assert not stale, f"The matrix names URLs that no longer exist: {sorted(stale)}"


def _url(name, entry, ctx):
    builder = entry[1]
    if builder is None:
        return reverse(name)
    if builder == "list":
        return reverse(name, kwargs=entry[4](ctx))
    return reverse(name, kwargs=builder(ctx))


def _is_success(response) -> bool:
    """Let through: a page, a redirect after an action, or 400 for the empty form we post."""
    if response.status_code in (200, 201, 204, 400):
        return True
    return response.status_code in (301, 302, 303) and "/login/" not in response["Location"]


def _call(client: Client, method: str, url: str):
    return client.get(url) if method == "GET" else client.post(url, {})


@pytest.fixture
def ctx(org, sender, other_org):
    return {"org": org, "sender": sender, "other_org": other_org}


CASES = [
    (name, persona) for name in sorted(MATRIX) for persona in [*PERSONAS, "anonymous", "staff"]
]


@pytest.mark.parametrize(("name", "persona"), CASES)
def test_permission_matrix(name, persona, ctx, request, login, client):
    entry = MATRIX[name]
    minimum, builder, methods = entry[0], entry[1], entry[2].split()
    staff_expectation = entry[3] if len(entry) > 3 else None
    url = _url(name, entry, ctx)
    method = methods[0]
    if persona == "anonymous":
        response = _call(client, method, url)
        assert response.status_code == 302 and "/login/" in response["Location"]
        return
    if persona == "staff":
        response = _call(login(request.getfixturevalue("staff")), method, url)
        if staff_expectation == "404":
            assert response.status_code == 404
        else:
            assert _is_success(response), response.status_code
        return
    fixture, role, same_org = PERSONAS[persona]
    response = _call(login(request.getfixturevalue(fixture)), method, url)
    if RANK[role] < RANK[minimum]:
        assert response.status_code == 403
    elif same_org or builder is None or builder == "list":
        assert _is_success(response), (response.status_code, response.get("Location"))
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_wrong_method_is_405(name, ctx, login, admin_user):
    entry = MATRIX[name]
    url = _url(name, entry, ctx)
    wrong = "PUT" if "POST" in entry[2] else "POST"
    client = login(admin_user)
    response = client.put(url) if wrong == "PUT" else client.post(url, {})
    assert response.status_code == 405


def test_django_admin_is_for_staff_only(login, admin_user, staff):
    assert login(admin_user).get("/admin/").status_code == 302
    assert login(staff).get("/admin/").status_code == 200
