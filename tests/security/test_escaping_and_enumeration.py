"""Hostile text is shown as text; ids of other organizations look exactly like missing ones."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from blocklists import import_services
from blocklists.models import ConsentText
from contacts.services import route_inbound
from messaging.services import create_batch

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def hostile(org, sender):
    batch = create_batch(
        organization=org, sender=sender, subscribers=["+14155550123"], text=SCRIPT, label=SCRIPT
    )
    ticket = route_inbound(
        organization=org, sender=sender, address="+14155550123", text=SCRIPT, channel="sms"
    )
    ticket.contact.name = SCRIPT
    ticket.contact.save()
    job = import_services.create_import_job(
        sender=sender,
        uploaded_file=SimpleUploadedFile(f"{SCRIPT}.csv", b"mobile\n4155550123\n"),
        user=None,
        consent=ConsentText.current(ConsentText.Purpose.ADD),
    )
    return {
        "message": batch.messages.get(),
        "contact": ticket.contact,
        "ticket": ticket,
        "job": job,
        "batch": batch,
    }


def test_hostile_text_is_escaped_on_every_page(login, supervisor, hostile):
    client = login(supervisor)
    pages = [
        reverse("handoff:messages"),
        reverse("handoff:number", args=["+14155550123"]),
        reverse("messaging:message", args=[hostile["message"].pk]),
        reverse("messaging:batches"),
        reverse("contacts:index"),
        reverse("contacts:contact", args=[hostile["contact"].pk]),
        reverse("contacts:ticket", args=[hostile["ticket"].pk]),
        reverse("blocklists:import-list"),
        reverse("blocklists:import-detail", args=[hostile["job"].pk]),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url


def test_hostile_text_in_exports_is_data(login, agent, hostile):
    response = login(agent).get(reverse("handoff:messages"), {"_export": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert SCRIPT.replace('"', '""') in body  # kept as text, quoted by the CSV writer


@pytest.mark.parametrize(
    ("name", "builder"),
    [
        ("messaging:message", lambda h: [h["message"].pk]),
        ("contacts:contact", lambda h: [h["contact"].pk]),
        ("contacts:ticket", lambda h: [h["ticket"].pk]),
        ("blocklists:import-detail", lambda h: [h["job"].pk]),
        ("messaging:batch", lambda h: [h["batch"].public_id]),
    ],
)
def test_other_organizations_ids_look_like_missing_ones(login, other_agent, hostile, name, builder):
    client = login(other_agent)
    existing = client.get(reverse(name, args=builder(hostile)))
    missing_arg = "B0000000000" if name == "messaging:batch" else 999_999
    missing = client.get(reverse(name, args=[missing_arg]))
    assert existing.status_code == missing.status_code == 404
    # The same page byte for byte, but for the CSRF token, which is masked anew each time.
    assert _without_csrf(existing.content) == _without_csrf(missing.content)


def _without_csrf(content: bytes) -> bytes:
    content = re.sub(rb'"X-CSRFToken": "[^"]+"', b"", content)
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)
