"""The Block List page: is this customer blocked, where, why, and how do they get back?"""

import csv
import io

import pytest
from django.urls import reverse

from blocklists import interceptions, services
from tests.factories import SenderFactory, UserFactory

URL = "/handoff/block-list/"
NUMBER = "+14155550123"


@pytest.fixture
def long_code(org):
    return SenderFactory(organization=org, kind="sms_long_code", address="+14155554559")


@pytest.fixture
def blocked(org, sender, long_code):
    services.opt_out(sender=sender, subscriber=NUMBER)
    services.add_entry(sender=long_code, subscriber=NUMBER, reason="support_request")
    interceptions.intercept_from_failure(number=NUMBER, code=510, organization=org)


def test_url_is_the_one_the_issue_names():
    assert reverse("handoff:block-list") == URL


@pytest.mark.parametrize(
    "typed", ["(415) 555-0123", "415.555.0123", "+1 415 555 0123", "4155550123", "001 415 555 0123"]
)
def test_number_typed_any_way_finds_the_blocks(login, agent, blocked, typed):
    html = login(agent).get(URL, {"number": typed}).content.decode()
    assert "+14155550123 is blocked</strong> on 2 senders and by 1 interception" in html
    assert "Replying START to 52811 removes the block." in html
    assert "Added by your organization" in html  # the long code's manual entry
    assert "Expires at" in html and "510 Out of service" in html


def test_not_blocked_anywhere_is_said_plainly(login, agent, sender):
    html = login(agent).get(URL, {"number": "4155550199"}).content.decode()
    assert "+14155550199 is not blocked anywhere." in html


def test_invalid_number_says_so_instead_of_an_empty_table(login, agent):
    html = login(agent).get(URL, {"number": "555-0123"}).content.decode()
    assert "is not a valid phone number" in html and "is not blocked" not in html


def test_other_organizations_blocks_are_not_shown(login, other_agent, blocked, other_sender):
    html = login(other_agent).get(URL, {"number": NUMBER}).content.decode()
    # The global interception applies to everyone; the Acme blocklists do not.
    assert "by 1 interception" in html and "52811" not in html and "on 2 senders" not in html


def test_htmx_gets_only_the_results(login, agent, blocked):
    html = (
        login(agent).get(URL, {"number": NUMBER}, headers={"HX-Request": "true"}).content.decode()
    )
    assert html.lstrip().startswith('<div id="results"') and "<nav" not in html


def test_export_equals_the_table(login, agent, blocked):
    response = login(agent).get(URL, {"number": NUMBER, "_export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:5] == ["Channel", "Customer Number", "Created At", "Reason", "Source"]
    assert sorted((r[0], r[1], r[3], r[4]) for r in rows[1:]) == [
        ("+14155554559", NUMBER, "Support Request", "MAN"),
        ("52811", NUMBER, "Not Defined", "OPT-OUT"),
    ]


def test_needs_an_organization_and_get(login, agent, db):
    assert login(UserFactory(username="nobody")).get(URL).status_code == 403
    assert login(agent).post(URL).status_code == 405


def test_handoff_index_links_the_pages(login, agent):
    html = login(agent).get(reverse("handoff:index")).content.decode()
    assert URL in html and reverse("handoff:interceptions") in html


def _stored_stop(sender, number=NUMBER, text="STOP"):
    """A STOP the webhook stored that no worker has processed yet (its task not run)."""
    from messaging.inbound import receive_inbound

    received = receive_inbound(
        sender=sender, subscriber=number, text=text, provider_message_id=f"p-{text}"
    )
    assert received.message.processed_at is None
    return received.message


def test_a_stop_not_yet_applied_shows_as_in_effect(
    login, agent, org, sender, long_code, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        _stored_stop(sender)
    html = login(agent).get(URL, {"number": NUMBER}).content.decode()
    assert "+14155550123 is blocked</strong> on 1 sender." in html
    assert "Opted out, being added to the blocklist" in html
    assert "nothing more is sent to this number from 52811" in html
    assert "Not blocked on: +14155554559" in html  # scope: the sender it was sent to
    # Once the worker has processed it, the entry answers instead.
    from messaging.inbound import process_inbound
    from messaging.models import Message

    # Its confirmation reply is queued on commit: not run here (no broker in this test).
    with django_capture_on_commit_callbacks(execute=False):
        process_inbound(message_id=Message.objects.get(direction="inbound").pk)
    html = login(agent).get(URL, {"number": NUMBER}).content.decode()
    assert "being added to the blocklist" not in html
    assert "Replying START to 52811 removes the block." in html


def test_a_stored_text_that_is_no_opt_out_blocks_nothing(
    login, agent, sender, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        _stored_stop(sender, text="Where is my order?")
    html = login(agent).get(URL, {"number": NUMBER}).content.decode()
    assert "+14155550123 is not blocked anywhere." in html
