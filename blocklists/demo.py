"""Demo blocklist entries for ``seed_demo``. Idempotent: present entries are left alone."""

from accounts.models import Organization
from blocklists import services
from blocklists.models import Reason, Source

DEMO_ENTRIES = [
    # sender address, subscriber, reason, source
    ("52811", "+14155550101", Reason.SUBSCRIBER_COMPLAINT, Source.OPT_OUT),
    ("52811", "+14155550102", Reason.LIST_CLEANUP, Source.CSV),
    ("52811", "+14155550103", Reason.SUPPORT_REQUEST, Source.MANUAL),
    ("+14155554559", "+14155550101", Reason.NOT_DEFINED, Source.OPT_OUT),
    ("news@demo.example", "bounced@example.com", Reason.SUBSCRIBER_COMPLAINT, Source.EMAIL_SERVER),
    ("+14155550000", "+447911123456", Reason.SUSPECTED_FRAUD, Source.MANUAL),
]


def seed_blocklists() -> int:
    """Add the demo entries that are missing; returns how many were added."""
    demo = Organization.objects.get(slug="demo-co")
    added = 0
    for address, subscriber, reason, source in DEMO_ENTRIES:
        sender = demo.senders.get(address=address)
        result = services.add_entry(
            sender=sender, subscriber=subscriber, reason=reason, source=source, note="demo data"
        )
        added += result.created
    return added
