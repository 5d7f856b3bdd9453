"""Keyword settings (admins) and the review queue (supervisors)."""

import pytest
from django.urls import reverse

from blocklists import keywords, services
from blocklists.models import KeywordRule, PossibleOptOut

NUMBER = "+14155550123"


@pytest.fixture
def pending(org, sender):
    return keywords.handle_inbound_text(
        organization=org, sender=sender, subscriber=NUMBER, text="please stop texting me"
    ).possible_opt_out


def test_admin_sees_default_keywords(login, admin_user):
    html = login(admin_user).get(reverse("blocklists:keywords")).content.decode()
    for word in ("STOP", "ARRET", "NONARRET", "HILFE", "UNSUBSCRIBE"):
        assert word in html
    assert 'aria-label="Remove STOP"' not in html and 'aria-label="Remove END"' in html


@pytest.mark.parametrize("persona", ["agent", "supervisor"])
def test_keywords_page_is_admin_only(login, request, persona):
    user = request.getfixturevalue(persona)
    assert login(user).get(reverse("blocklists:keywords")).status_code == 403


def test_keywords_page_wrong_method(login, admin_user):
    assert login(admin_user).put(reverse("blocklists:keywords")).status_code == 405


def test_admin_adds_and_removes_a_keyword(login, admin_user, org):
    client = login(admin_user)
    response = client.post(
        reverse("blocklists:keywords"),
        {"action": "add", "kind": "opt_out", "keyword": " basta! ", "language": "it"},
        follow=True,
    )
    assert "BASTA is now an opt-out keyword." in response.content.decode()
    rule = KeywordRule.objects.get(organization=org, keyword="BASTA")
    remove = reverse("blocklists:keyword-remove", args=[rule.pk])
    # The list links to a dialog that asks first; only its POST removes.
    assert f'href="{remove}"' in client.get(reverse("blocklists:keywords")).content.decode()
    dialog = client.get(remove).content.decode()
    assert "Remove the keyword BASTA?" in dialog and "no longer opts the number out" in dialog
    assert KeywordRule.objects.filter(pk=rule.pk).exists()
    response = client.post(remove, follow=True)
    assert "BASTA is no longer a keyword" in response.content.decode()
    assert not KeywordRule.objects.filter(pk=rule.pk).exists()


def test_stop_cannot_be_removed(login, admin_user, org):
    keywords.ensure_default_keywords(org)
    stop = KeywordRule.objects.get(organization=org, keyword="STOP")
    response = login(admin_user).post(
        reverse("blocklists:keyword-remove", args=[stop.pk]), follow=True
    )
    assert "cannot be removed" in response.content.decode()
    assert KeywordRule.objects.filter(pk=stop.pk).exists()
    dialog = login(admin_user).get(reverse("blocklists:keyword-remove", args=[stop.pk]))
    assert "STOP cannot be removed" in dialog.content.decode()
    assert 'method="post"' not in dialog.content.decode().split("modal-title")[1]


def test_other_organizations_keyword_is_404(login, other_admin, org):
    keywords.ensure_default_keywords(org)
    end = KeywordRule.objects.get(organization=org, keyword="END")
    response = login(other_admin).post(reverse("blocklists:keyword-remove", args=[end.pk]))
    assert response.status_code == 404


def test_admin_chooses_scope_and_replies(login, admin_user, org):
    login(admin_user).post(
        reverse("blocklists:keywords"),
        {
            "action": "settings",
            "opt_out_scope": "organization",
            "auto_opt_out_possible": "on",
            "help_reply": "Call us",
        },
    )
    settings = keywords.settings_for(org)
    assert settings.opt_out_scope == "organization" and settings.auto_opt_out_possible
    assert settings.help_reply == "Call us"


def test_supervisor_sees_the_review_queue(login, supervisor, pending):
    html = login(supervisor).get(reverse("blocklists:review")).content.decode()
    assert "please stop texting me" in html and NUMBER in html and "left" in html


def test_review_queue_roles_and_isolation(login, agent, other_admin, pending):
    assert login(agent).get(reverse("blocklists:review")).status_code == 403
    html = login(other_admin).get(reverse("blocklists:review")).content.decode()
    assert NUMBER not in html
    url = reverse("blocklists:review-decide", args=[pending.pk, "opt_out"])
    assert login(other_admin).post(url).status_code == 404
    assert login(agent).post(url).status_code == 403
    assert login(other_admin).put(url).status_code == 405


def test_supervisor_opts_out_from_the_queue(login, supervisor, sender, pending):
    url = reverse("blocklists:review-decide", args=[pending.pk, "opt_out"])
    assert "Opt out +14155550123?" in login(supervisor).get(url).content.decode()
    response = login(supervisor).post(url, {"note": "clear request"}, follow=True)
    assert "opted out of 52811" in response.content.decode()
    assert services.is_blocklisted(sender, NUMBER)
    pending.refresh_from_db()
    assert (pending.status, pending.decision_note) == ("opted_out", "clear request")
    again = login(supervisor).post(
        reverse("blocklists:review-decide", args=[pending.pk, "dismiss"]), follow=True
    )
    assert "decided this one already" in again.content.decode()


def test_supervisor_dismisses(login, supervisor, sender, pending):
    login(supervisor).post(reverse("blocklists:review-decide", args=[pending.pk, "dismiss"]))
    assert PossibleOptOut.objects.get().status == "dismissed"
    assert not services.is_blocklisted(sender, NUMBER)
