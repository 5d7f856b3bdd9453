"""What counts as a keyword or a possible opt-out: the rules as data, and the matching.

Kept apart from the services so that the rules can be read, extended and
measured on their own (``docs/keywords.md`` lists what they catch and what they
deliberately do not).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Defaults every organization starts with (kind, keyword, language).
DEFAULT_KEYWORDS: list[tuple[str, str, str]] = [
    *[
        ("opt_out", k, "en")
        for k in (
            "STOP",
            "STOPALL",
            "STOP ALL",
            "UNSUBSCRIBE",
            "UNSUB",
            "CANCEL",
            "END",
            "QUIT",
            "REVOKE",
            "OPTOUT",
            "OPT OUT",
            "OPT-OUT",
        )
    ],
    ("opt_out", "PARAR", "es/pt"),
    ("opt_out", "DETENER", "es"),
    ("opt_out", "SALIR", "es"),
    ("opt_out", "BAJA", "es"),
    ("opt_out", "CANCELAR", "es/pt"),
    ("opt_out", "ARRET", "fr"),
    ("opt_out", "STOPP", "de"),
    ("opt_out", "HALT", "de"),
    ("opt_out", "FERMA", "it"),
    *[("opt_in", k, "en") for k in ("START", "SUBSCRIBE", "YES", "UNSTOP", "RESUME")],
    ("opt_in", "VOLVER", "es"),
    ("opt_in", "RECIBIR", "es"),
    ("opt_in", "VOLTAR", "pt"),
    ("opt_in", "RECEBER", "pt"),
    ("opt_in", "NONARRET", "fr"),
    ("help", "HELP", "en"),
    ("help", "INFO", "en"),
    ("help", "AYUDA", "es"),
    ("help", "AJUDA", "pt"),
    ("help", "AIDE", "fr"),
    ("help", "HILFE", "de"),
    ("help", "AIUTO", "it"),
]

# Carriers expect these to work whatever an organization configures.
PROTECTED_KEYWORDS = {"STOP", "START", "HELP"}

QUOTES = "\"'`´“”„‘’‚«»‹›"


def normalize_text(text: str) -> str:
    """Upper case, no accents, single spaces, nothing but letters or digits at either end.

    ``" Stop!! "``, ``"stop 🛑"``, ``"«ARRÊT»"`` all become ``STOP`` / ``ARRET``;
    inside the text, apostrophes and hyphens stay (``DON'T``, ``OPT-OUT``).
    """
    decomposed = unicodedata.normalize("NFKD", text or "")
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    for quote in "‘’´`":
        without_marks = without_marks.replace(quote, "'")
    collapsed = " ".join(without_marks.split())
    start, end = 0, len(collapsed)
    while start < end and not collapsed[start].isalnum():
        start += 1
    while end > start and not collapsed[end - 1].isalnum():
        end -= 1
    return collapsed[start:end].upper()


@dataclass(frozen=True)
class PossibleOptOutRule:
    """A way of saying "stop" in other words. ``pattern`` runs on ``normalize_text`` output."""

    name: str
    language: str
    pattern: re.Pattern
    example: str


def _rule(name: str, language: str, pattern: str, example: str) -> PossibleOptOutRule:
    return PossibleOptOutRule(name, language, re.compile(pattern), example)


POSSIBLE_OPT_OUT_RULES: list[PossibleOptOutRule] = [
    _rule(
        "stop + please/now",
        "en",
        r"^(PLEASE |PLS |PLZ )?STOP( IT)?( NOW)?( PLEASE| PLS| PLZ| THANKS| THANK YOU)?$",
        "stop pls",
    ),
    _rule(
        "stop texting/messaging/emailing",
        "en",
        r"\bSTOP (TEXTING|MESSAGING|MESSAGES|EMAILING|EMAILS|SENDING|CONTACTING|CALLING"
        r"|SPAMMING)\b",
        "please stop texting me",
    ),
    _rule(
        "unsubscribe/opt out + words", "en", r"\b(UNSUBSCRIBE|UNSUB|OPT ?-?OUT)\b", "unsubscribe me"
    ),
    _rule(
        "remove/take me off",
        "en",
        r"\b(REMOVE|DELETE|TAKE) (ME|MY NUMBER|MY EMAIL|THIS NUMBER)\b",
        "remove me from this list",
    ),
    _rule(
        "no more messages",
        "en",
        r"\bNO MORE (MESSAGES|TEXTS|TEXT MESSAGES|SMS|EMAILS|MAILS|NOTIFICATIONS)\b",
        "no more messages",
    ),
    _rule(
        "don't text me",
        "en",
        r"\b(DON'?T|DO NOT|NEVER) (TEXT|MESSAGE|CONTACT|EMAIL|SMS|SPAM|WRITE TO) ME\b",
        "do not text me again",
    ),
    _rule("leave me alone", "en", r"\bLEAVE ME ALONE\b", "leave me alone"),
    _rule(
        "no me envien / manden",
        "es",
        r"\bNO (ME )?(ENVIEN|MANDEN|ESCRIBAN|MANDES|ENVIES|CONTACTEN)\b",
        "no me envíen más mensajes",
    ),
    _rule(
        "dejen de enviar",
        "es",
        r"\bDEJ(EN|A|E) DE (ENVIAR|MANDAR|ESCRIBIR|MOLESTAR)",
        "dejen de enviarme mensajes",
    ),
    _rule("dar de baja", "es", r"\b(DAR(ME)?|DENME|DEN) DE BAJA\b", "quiero darme de baja"),
    _rule(
        "no mas mensajes",
        "es",
        r"\bNO MAS (MENSAJES|SMS|CORREOS|TEXTOS)\b",
        "no más mensajes por favor",
    ),
    _rule(
        "quitenme / borrenme",
        "es",
        r"\b(QUITENME|QUITAME|BORRENME|BORRAME|ELIMINENME|ELIMINAME|SAQUENME|SACAME)\b",
        "quítenme de la lista",
    ),
]

# A sentence that keeps messages coming is never a possible opt-out.
NOT_AN_OPT_OUT = re.compile(r"\b(DON'?T|DO NOT|NEVER|NO) STOP\b|\bNON-?STOP\b")


def possible_opt_out_rule(normalized: str) -> PossibleOptOutRule | None:
    """The first rule that says this (normalised) text asks to stop, if any."""
    if not normalized or NOT_AN_OPT_OUT.search(normalized):
        return None
    for rule in POSSIBLE_OPT_OUT_RULES:
        if rule.pattern.search(normalized):
            return rule
    return None
