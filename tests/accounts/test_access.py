"""Roles, 403/404 rules and organization scoping, on a view of each kind.

Every view gets the same four checks: works for the right role, 403 for a
lower role, 404 for the other organization, 405 for the wrong method.
"""

import pytest
from django.urls import reverse

from accounts.access import Actor, get_scoped_or_404
from accounts.models import Sender
from tests.factories import SenderFactory, UserFactory


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "url_name",
    ["handoff:index", "blocklists:index", "messaging:index", "contacts:index", "accounts:settings"],
)
def test_every_section_requires_login(client, db, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_user_without_organization_is_refused(login, db):
    loner = UserFactory(username="loner")
    response = login(loner).get(reverse("home"))
    assert response.status_code == 403
    assert b"does not belong to an organization" in response.content


# A list/section page (minimum role agent).
def test_section_page_works_for_agent(login, agent):
    assert login(agent).get(reverse("handoff:index")).status_code == 200


def test_section_page_wrong_method_is_405(login, agent):
    assert login(agent).post(reverse("handoff:index")).status_code == 405


# An admin page (minimum role admin).
def test_settings_works_for_admin(login, admin_user):
    response = login(admin_user).get(reverse("accounts:settings"))
    assert response.status_code == 200
    assert b"Settings" in response.content


@pytest.mark.parametrize("persona", ["agent", "supervisor"])
def test_settings_is_403_below_admin(login, request, persona):
    user = request.getfixturevalue(persona)
    response = login(user).get(reverse("accounts:settings"))
    assert response.status_code == 403
    assert b"Admin role" in response.content


def test_settings_wrong_method_is_405(login, admin_user):
    assert login(admin_user).put(reverse("accounts:settings")).status_code == 405


# An object page (a sender of one organization).
def test_sender_page_works_for_its_admin(login, admin_user, sender):
    response = login(admin_user).get(reverse("accounts:sender-edit", args=[sender.pk]))
    assert response.status_code == 200
    assert b"52811" in response.content


def test_sender_page_is_404_for_other_organization(login, other_admin, sender):
    response = login(other_admin).get(reverse("accounts:sender-edit", args=[sender.pk]))
    assert response.status_code == 404


def test_sender_page_is_404_for_missing_object(login, admin_user):
    assert login(admin_user).get(reverse("accounts:sender-edit", args=[999999])).status_code == 404


def test_sender_page_role_is_checked_before_existence(login, other_agent, sender):
    # A lower role learns nothing about which ids exist elsewhere: 403 either way.
    response = login(other_agent).get(reverse("accounts:sender-edit", args=[sender.pk]))
    assert response.status_code == 403


def test_sender_change_by_other_organization_changes_nothing(login, other_admin, sender):
    response = login(other_admin).post(
        reverse("accounts:sender-edit", args=[sender.pk]),
        {"kind": "sms_short_code", "address": "99999", "name": "hijacked"},
    )
    assert response.status_code == 404
    sender.refresh_from_db()
    assert sender.address == "52811"


def test_sender_page_wrong_method_is_405(login, admin_user, sender):
    url = reverse("accounts:sender-edit", args=[sender.pk])
    assert login(admin_user).delete(url).status_code == 405


# Scoping itself.
def test_scope_keeps_only_own_organization(org, other_org, agent, other_agent):
    mine = SenderFactory(organization=org, address="11111")
    theirs = SenderFactory(organization=other_org, address="22222")
    assert list(Actor.for_user(agent).scope(Sender.objects.all())) == [mine]
    assert list(Actor.for_user(other_agent).scope(Sender.objects.all())) == [theirs]


def test_platform_staff_see_every_organization(org, other_org, staff):
    SenderFactory(organization=org, address="11111")
    SenderFactory(organization=other_org, address="22222")
    actor = Actor.for_user(staff)
    assert actor.is_platform_staff and actor.is_admin
    assert actor.scope(Sender.objects.all()).count() == 2


def test_get_scoped_or_404_hides_other_organizations(org, other_org, other_agent):
    from django.http import Http404

    theirs = SenderFactory(organization=org, address="11111")
    with pytest.raises(Http404):
        get_scoped_or_404(Actor.for_user(other_agent), Sender.objects.all(), pk=theirs.pk)


def test_other_organization_agent_never_sees_demo_objects(login, other_admin, sender, org):
    response = login(other_admin).get(reverse("accounts:settings"))
    assert response.status_code == 200
    assert b"52811" not in response.content
    assert org.name.encode() not in response.content


def test_who_is_asking_is_one_query_and_never_stale(login, agent, staff):
    """The user, their membership and organization come in one query on every request
    (accounts.backends), so a role changed a moment ago applies to the next page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(agent)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("handoff:index")).status_code == 200
    membership_reads = [q["sql"] for q in queries if "accounts_membership" in q["sql"]]
    assert len(membership_reads) == 1 and '"auth_user"' in membership_reads[0]
    agent.membership.organization.name = "Renamed Ltd"
    agent.membership.organization.save()
    assert "Renamed Ltd" in client.get(reverse("handoff:index")).content.decode()
    agent.membership.delete()
    assert client.get(reverse("handoff:index")).status_code == 403
    # Platform staff have no membership: still one query for who they are.
    assert login(staff).get(reverse("handoff:index")).status_code == 200
