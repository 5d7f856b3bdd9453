"""Proof that a person confirmed a consent dialog, carried by the forms that follow it.

Confirming the dialog issues a signed token naming the person and the consent
text version; the add, upload and revert forms carry it back, and the server
refuses them without a valid one. Nothing can be added or reverted without
passing through the dialog, with or without JavaScript.
"""

from __future__ import annotations

from django.core import signing

from blocklists.models import ConsentText

SALT = "blocklists.consent"

# Version 1 of each dialog (also written by migration 0002). New wording is a new
# ConsentText row with the next version, never an edit.
DEFAULT_TEXTS = {
    "add": (
        "I confirm that the subscribers I am adding asked not to receive messages from this "
        "sender, or that there is another documented reason to stop messaging them. They will "
        "receive nothing more from this sender until an admin reverts the entry with their "
        "consent."
    ),
    "revert": (
        "I confirm that this subscriber has given consent to receive messages from this sender "
        "again, and that I can show that consent if asked. Reverting removes the entry; the "
        "history keeps a record of who reverted it and when."
    ),
}
MAX_AGE = 60 * 60 * 2  # a dialog confirmed more than two hours ago must be confirmed again


def issue_consent_token(*, user, consent: ConsentText) -> str:
    return signing.dumps({"u": user.pk, "c": consent.pk}, salt=SALT)


def read_consent_token(token: str | None, *, user, purpose: str) -> ConsentText | None:
    """The confirmed ConsentText, or None when the token is missing, forged, stale or foreign."""
    if not token:
        return None
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("u") != user.pk:
        return None
    return ConsentText.objects.filter(pk=data.get("c"), purpose=purpose).first()
