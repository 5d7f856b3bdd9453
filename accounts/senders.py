"""How each kind of sender writes its address."""

import re

from django.core.exceptions import ValidationError

from accounts.models import SenderKind
from accounts.normalization import normalize_email, normalize_phone

SHORT_CODE = re.compile(r"^\d{3,8}$")
RCS_AGENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,99}$")


def normalize_sender_address(kind: str, text: str, country: str | None) -> str:
    """Return the stored form of a sender address; raises ValidationError."""
    text = (text or "").strip()
    if kind == SenderKind.EMAIL:
        return normalize_email(text)
    if kind in (SenderKind.SMS_LONG_CODE, SenderKind.WHATSAPP):
        return normalize_phone(text, country)
    if kind == SenderKind.SMS_SHORT_CODE:
        digits = re.sub(r"[\s-]", "", text)
        if not SHORT_CODE.match(digits):
            raise ValidationError("A short code is 3 to 8 digits.", code="invalid_short_code")
        return digits
    if kind == SenderKind.RCS:
        if not RCS_AGENT.match(text):
            raise ValidationError(
                "An RCS agent id is letters, digits, dots, dashes or underscores.",
                code="invalid_rcs_agent",
            )
        return text
    raise ValidationError(f"Unknown sender kind “{kind}”.", code="invalid_kind")
