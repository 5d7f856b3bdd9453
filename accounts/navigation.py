"""The sections of the console and the role each one needs.

Declared here, in the lowest app, so the navigation bar and the home page
agree; each section's URL name belongs to the app that serves it.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Role


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    url_name: str
    minimum_role: str
    description: str
    # The organization's own pages: platform staff without one manage organizations
    # in the Django admin instead.
    of_organization: bool = False


SECTIONS = (
    Section(
        "handoff",
        "Handoff",
        "handoff:index",
        Role.AGENT,
        "Look up a number: blocks, messages sent and received, statuses, replies.",
    ),
    Section(
        "blocklists",
        "Blocklists",
        "blocklists:index",
        Role.AGENT,
        "Per-sender blocklists: search, add subscribers, upload CSV files, revert.",
    ),
    Section(
        "messaging",
        "Messaging",
        "messaging:index",
        Role.AGENT,
        "Batches and messages: what was sent, when, by whom, and what became of it.",
    ),
    Section(
        "contacts",
        "Contacts",
        "contacts:index",
        Role.AGENT,
        "Contacts and tickets: block spamming contacts, the blocked queue.",
    ),
    Section(
        "settings",
        "Settings",
        "accounts:settings",
        Role.ADMIN,
        "Organization settings, subaccounts and senders.",
        of_organization=True,
    ),
)


def sections_for(actor) -> list[Section]:
    if actor is None:
        return []
    return [
        section
        for section in SECTIONS
        if actor.has_role(section.minimum_role)
        and (actor.organization is not None or not section.of_organization)
    ]
