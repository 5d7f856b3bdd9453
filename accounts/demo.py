"""Demo tenants and people for ``seed_demo``. Idempotent: running it again changes nothing."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import Membership, Organization, Role, Sender, SenderKind, Subaccount

DEMO_SENDERS = [
    (SenderKind.SMS_SHORT_CODE, "52811", "Demo short code"),
    (SenderKind.SMS_LONG_CODE, "+14155554559", "Demo long code"),
    (SenderKind.EMAIL, "news@demo.example", "Demo newsletter"),
    (SenderKind.WHATSAPP, "+14155550000", "Company Account"),
    (SenderKind.RCS, "CompanyAgent", "Company RCS agent"),
]

DEMO_USERS = [
    # username, organization slug, role (None: platform staff without a membership)
    ("agent", "demo-co", Role.AGENT),
    ("supervisor", "demo-co", Role.SUPERVISOR),
    ("admin", "demo-co", Role.ADMIN),
    ("other-agent", "other-inc", Role.AGENT),
    ("staff", None, None),
]


@dataclass
class DemoLogin:
    username: str
    role: str
    password: str | None  # None: the account existed and kept its password


@transaction.atomic
def seed_accounts(*, password: str | None = None) -> list[DemoLogin]:
    """Create Demo Co, Other Inc, their senders and the demo people.

    Users that already exist keep their password unless ``password`` is given.
    """
    demo, _ = Organization.objects.get_or_create(
        slug="demo-co",
        defaults={
            "name": "Demo Co",
            "country": "US",
            "time_zone": "America/Los_Angeles",
            "block_contacts_enabled": True,
        },
    )
    other, _ = Organization.objects.get_or_create(
        slug="other-inc",
        defaults={"name": "Other Inc", "country": "US", "time_zone": "America/New_York"},
    )
    marketing, _ = Subaccount.objects.get_or_create(organization=demo, name="Marketing")
    Subaccount.objects.get_or_create(organization=demo, name="Customer care")
    other_main, _ = Subaccount.objects.get_or_create(organization=other, name="Main")
    for kind, address, name in DEMO_SENDERS:
        Sender.objects.get_or_create(
            organization=demo,
            address=address,
            defaults={"kind": kind, "name": name, "subaccount": marketing},
        )
    Sender.objects.get_or_create(
        organization=other,
        address="+12125550147",
        defaults={
            "kind": SenderKind.SMS_LONG_CODE,
            "name": "Other Inc line",
            "subaccount": other_main,
        },
    )

    organizations = {"demo-co": demo, "other-inc": other}
    User = get_user_model()
    logins = []
    for username, slug, role in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": username.replace("-", " ").title(),
                "email": f"{username}@demo.example",
            },
        )
        new_password = None
        if created or password:
            new_password = password or secrets.token_urlsafe(12)
            user.set_password(new_password)
        if role is None:
            user.is_staff = user.is_superuser = True
        user.save()
        if role is not None:
            Membership.objects.update_or_create(
                user=user, defaults={"organization": organizations[slug], "role": role}
            )
        label = f"{Role(role).label} of {organizations[slug].name}" if role else "Platform staff"
        logins.append(DemoLogin(username=username, role=label, password=new_password))
    return logins
