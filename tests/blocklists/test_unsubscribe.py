"""Email unsubscribe links, RFC 8058 one-click, and bounce/complaint feedback."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from django.core import signing
from django.test import Client

from blocklists.models import BlocklistEntry, BlocklistEvent, EventAction, Source
from blocklists.unsubscribe import (
    TOKEN_SALT,
    UnsubscribeLinkExpired,
    UnsubscribeLinkInvalid,
    list_unsubscribe_headers,
    read_unsubscribe_token,
    record_email_feedback,
    unsubscribe_token,
    unsubscribe_url,
)
from tests.factories import SenderFactory

ADDRESS = "ann@example.com"
START = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """A key prefix of this test's own instead of ``cache.clear()``.

    The cache (var/cache files, or Redis database 15) is shared with the
    development server and with other test runs in the same checkout; clearing
    it would wipe their entries. Soft-bounce keys expire on their own.
    """
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for name, config in settings.CACHES.items()
    }


@pytest.fixture
def email_sender(org):
    return SenderFactory(
        organization=org, kind="email", address="news@acme.example", name="Acme newsletter"
    )


@pytest.fixture
def url(email_sender):
    return unsubscribe_url(email_sender, ADDRESS)


def entries(sender):
    return BlocklistEntry.objects.filter(sender=sender)


# --- the page -----------------------------------------------------------------


def test_get_shows_sender_and_masked_address_and_adds_nothing(client, email_sender, url):
    response = client.get(url)

    assert response.status_code == 200
    text = response.content.decode()
    assert "Unsubscribe a***@example.com from Acme newsletter (news@acme.example)?" in text
    assert ADDRESS not in text
    assert 'name="csrfmiddlewaretoken"' in text
    assert not entries(email_sender).exists()


def test_confirm_adds_entry_with_source_opt_out_and_an_added_event(client, email_sender, url):
    response = client.post(url, {"confirm": "1"})

    assert response.status_code == 200
    assert "You will no longer receive emails from Acme newsletter" in response.content.decode()
    entry = entries(email_sender).get()
    assert (entry.subscriber, entry.source, entry.added_by) == (ADDRESS, Source.OPT_OUT, None)
    event = BlocklistEvent.objects.get(sender=email_sender)
    assert (event.action, event.source, event.subscriber) == (
        EventAction.ADDED,
        Source.OPT_OUT,
        ADDRESS,
    )
    assert event.note == "unsubscribe link"


def test_second_confirm_is_harmless(client, email_sender, url):
    client.post(url, {"confirm": "1"})
    response = client.post(url, {"confirm": "1"})

    assert response.status_code == 200
    assert "You will no longer receive emails from Acme newsletter" in response.content.decode()
    assert entries(email_sender).count() == 1
    assert BlocklistEvent.objects.filter(sender=email_sender).count() == 1


def test_address_is_normalised_in_the_link(client, email_sender):
    client.post(unsubscribe_url(email_sender, "  Ann@Example.COM "), {"confirm": "1"})

    assert entries(email_sender).get().subscriber == ADDRESS


def test_browser_form_with_csrf_token_adds(email_sender, url):
    browser = Client(enforce_csrf_checks=True)
    browser.get(url)
    token = browser.cookies["csrftoken"].value

    response = browser.post(url, {"confirm": "1", "csrfmiddlewaretoken": token})

    assert response.status_code == 200
    assert entries(email_sender).count() == 1


def test_form_post_without_csrf_token_is_forbidden(email_sender, url):
    response = Client(enforce_csrf_checks=True).post(url, {"confirm": "1"})

    assert response.status_code == 403
    assert not entries(email_sender).exists()


def test_tampered_token_is_400_and_adds_nothing(client, email_sender, url):
    tampered = url.replace(url[-6:-1], "AAAAA" if url[-6:-1] != "AAAAA" else "BBBBB")

    get = client.get(tampered)
    post = client.post(tampered, {"confirm": "1"})
    one_click = client.post(tampered, {"List-Unsubscribe": "One-Click"})

    assert get.status_code == post.status_code == one_click.status_code == 400
    assert "This unsubscribe link is not valid" in get.content.decode()
    assert not BlocklistEntry.objects.exists()


def test_expired_token_is_400_with_advice(client, email_sender, settings):
    settings.UNSUBSCRIBE_LINK_MAX_AGE_DAYS = 30
    with time_machine.travel(START, tick=False):
        url = unsubscribe_url(email_sender, ADDRESS)
    with time_machine.travel(START + dt.timedelta(days=29), tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(START + dt.timedelta(days=31), tick=False):
        response = client.get(url)
        post = client.post(url, {"confirm": "1"})

    assert response.status_code == post.status_code == 400
    text = response.content.decode()
    assert "This unsubscribe link has expired" in text
    assert "STOP" in text
    assert not BlocklistEntry.objects.exists()


def test_default_max_age_is_a_year(email_sender):
    with time_machine.travel(START, tick=False):
        token = unsubscribe_token(email_sender, ADDRESS)
    with time_machine.travel(START + dt.timedelta(days=364), tick=False):
        assert read_unsubscribe_token(token) == (email_sender.pk, ADDRESS)
    with (
        time_machine.travel(START + dt.timedelta(days=366), tick=False),
        pytest.raises(UnsubscribeLinkExpired),
    ):
        read_unsubscribe_token(token)


def test_token_for_sender_a_cannot_be_turned_into_sender_b(client, org, email_sender):
    sender_b = SenderFactory(organization=org, kind="email", address="promo@acme.example")
    token_a = unsubscribe_token(email_sender, ADDRESS)
    token_b = unsubscribe_token(sender_b, ADDRESS)
    # B's payload with A's timestamp and signature.
    spliced = token_b.split(":", 1)[0] + ":" + token_a.split(":", 1)[1]
    # B's payload signed with a key that is not ours.
    forged = signing.dumps([sender_b.pk, ADDRESS], salt=TOKEN_SALT, key="guessed", compress=True)

    for token in (spliced, forged):
        with pytest.raises(UnsubscribeLinkInvalid):
            read_unsubscribe_token(token)
        assert client.post(f"/u/{token}/", {"confirm": "1"}).status_code == 400
    assert not BlocklistEntry.objects.exists()


def test_deleted_sender_is_404(client, email_sender, url):
    email_sender.delete()

    assert client.get(url).status_code == 404
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 404


def test_non_email_sender_is_404(client, sender):
    token = signing.dumps([sender.pk, ADDRESS], salt=TOKEN_SALT, compress=True)

    assert client.get(f"/u/{token}/").status_code == 404
    with pytest.raises(ValueError):
        unsubscribe_token(sender, ADDRESS)


def test_put_is_405(client, url):
    assert client.put(url).status_code == 405


# --- RFC 8058 one-click ---------------------------------------------------------


def test_one_click_form_encoded_adds_without_csrf_or_login(email_sender, url):
    response = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    entry = entries(email_sender).get()
    assert (entry.subscriber, entry.source) == (ADDRESS, Source.OPT_OUT)
    assert BlocklistEvent.objects.get(sender=email_sender).action == EventAction.ADDED


def test_one_click_multipart_adds_and_repeats_harmlessly(email_sender, url):
    browserless = Client(enforce_csrf_checks=True)
    first = browserless.post(url, {"List-Unsubscribe": "One-Click"})
    second = browserless.post(url, {"List-Unsubscribe": "One-Click"})

    assert first.status_code == second.status_code == 200
    assert entries(email_sender).count() == 1


def test_other_post_bodies_are_not_one_click(email_sender, url):
    response = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "yes"})

    assert response.status_code == 403
    assert not entries(email_sender).exists()


def test_list_unsubscribe_headers(client, email_sender):
    headers = list_unsubscribe_headers(email_sender, ADDRESS, "https://handoff.example/")

    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    value = headers["List-Unsubscribe"]
    assert value.startswith("<https://handoff.example/u/") and value.endswith("/>")
    path = value[1:-1].removeprefix("https://handoff.example")
    assert (
        client.post(
            path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 200
    )
    assert entries(email_sender).get().subscriber == ADDRESS


def test_list_unsubscribe_headers_need_https(email_sender):
    with pytest.raises(ValueError):
        list_unsubscribe_headers(email_sender, ADDRESS, "http://handoff.example")


# --- bounce and complaint feedback ----------------------------------------------


def test_hard_bounce_adds_with_source_email_server(email_sender):
    assert record_email_feedback(
        sender=email_sender, address="Ann@Example.com", event="bounce", bounce_type="hard"
    )

    entry = entries(email_sender).get()
    assert (entry.subscriber, entry.source) == (ADDRESS, Source.EMAIL_SERVER)
    event = BlocklistEvent.objects.get(sender=email_sender)
    assert (event.action, event.source) == (EventAction.ADDED, Source.EMAIL_SERVER)


def test_complaint_adds(email_sender):
    assert record_email_feedback(sender=email_sender, address=ADDRESS, event="complaint")
    assert record_email_feedback(sender=email_sender, address=ADDRESS, event="complaint")

    assert entries(email_sender).get().source == Source.EMAIL_SERVER
    assert BlocklistEvent.objects.filter(sender=email_sender).count() == 1


def test_soft_bounces_add_at_the_third_within_seven_days(email_sender):
    def soft_bounce_on(day):
        with time_machine.travel(START + dt.timedelta(days=day), tick=False):
            return record_email_feedback(
                sender=email_sender, address=ADDRESS, event="bounce", bounce_type="soft"
            )

    assert soft_bounce_on(0) is False
    assert soft_bounce_on(8) is False  # the first one is out of the window
    assert soft_bounce_on(9) is False
    assert not entries(email_sender).exists()
    assert soft_bounce_on(10) is True  # days 8, 9, 10
    assert entries(email_sender).get().source == Source.EMAIL_SERVER


def test_soft_bounces_count_per_sender_and_address(org, email_sender):
    other = SenderFactory(organization=org, kind="email", address="promo@acme.example")
    at = START
    for sender, address in [
        (email_sender, ADDRESS),
        (other, ADDRESS),
        (email_sender, "bob@example.com"),
        (email_sender, ADDRESS),
    ]:
        assert not record_email_feedback(
            sender=sender, address=address, event="bounce", bounce_type="soft", at=at
        )
        at += dt.timedelta(hours=1)
    assert not BlocklistEntry.objects.exists()


def test_soft_bounce_on_an_already_blocklisted_address_says_so(email_sender):
    record_email_feedback(sender=email_sender, address=ADDRESS, event="complaint")

    assert record_email_feedback(
        sender=email_sender, address=ADDRESS, event="bounce", bounce_type="soft"
    )


def test_feedback_for_a_non_email_sender_is_a_value_error(sender):
    with pytest.raises(ValueError):
        record_email_feedback(sender=sender, address=ADDRESS, event="complaint")
    assert not BlocklistEntry.objects.exists()


def test_unknown_feedback_event_is_a_value_error(email_sender):
    with pytest.raises(ValueError):
        record_email_feedback(sender=email_sender, address=ADDRESS, event="delivered")
