import pytest
from django.urls import reverse

from blocklists import interceptions, keywords
from messaging.models import Message
from messaging.services import create_batch


@pytest.fixture
def activity(org, sender, other_org, other_sender):
    keywords.handle_inbound_text(
        organization=org, sender=sender, subscriber="+14155550101", text="STOP"
    )
    keywords.handle_inbound_text(
        organization=org, sender=sender, subscriber="+14155550102", text="STOP"
    )
    keywords.handle_inbound_text(
        organization=org, sender=sender, subscriber="+14155550102", text="START"
    )
    interceptions.intercept_from_failure(number="+14155550103", code=520, organization=org)
    interceptions.intercept_from_failure(number="+14155550104", code=500, organization=other_org)
    batch = create_batch(organization=org, sender=sender, subscribers=["+14155550105"], text="x")
    Message.objects.filter(batch=batch).update(status="send_failed", failure_code=510)
    keywords.handle_inbound_text(
        organization=other_org, sender=other_sender, subscriber="+14155550109", text="STOP"
    )


def cards(html):
    start = html.index('data-testid="dashboard"')
    return html[start:]


def test_dashboard_counts_today_for_the_organization(login, agent, activity):
    html = cards(login(agent).get(reverse("handoff:index")).content.decode())
    assert "Opt-outs</h2>" in html
    assert '<span class="fs-4 fw-semibold">2</span> today' in html  # two STOPs, not Other Inc's
    assert html.count('<span class="fs-4 fw-semibold">1</span> today') == 3  # opt-in, int., fail
    assert "<svg" in html and "<rect" in html
    assert "Send failed: 1" in html


def test_other_organization_sees_its_own(login, other_agent, activity):
    html = cards(login(other_agent).get(reverse("handoff:index")).content.decode())
    assert html.count('<span class="fs-4 fw-semibold">1</span> today') == 2  # STOP, interception
