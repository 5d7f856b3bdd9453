"""Turn what people type, and what spreadsheets export, into subscriber addresses.

A subscriber is either an E.164 phone number (``+14155550123``) or a lower-cased
email address. Every form, the API and the CSV import go through this module, so
the same input gives the same address everywhere.

``normalize_phone`` is the reference: it cleans the text (separators, quotes, a
``00`` international prefix, spreadsheet floats) and lets ``phonenumbers`` parse
and validate it. ``PhoneNormalizer`` is the bulk path for imports of millions of
rows; it gives exactly the same answers, only faster (see its docstring).

Nothing here touches Django settings, so it imports and runs without a database.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from re import Pattern

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberFormat
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE, REGION_CODE_FOR_NON_GEO_ENTITY

__all__ = [
    "MAX_PHONE_INPUT_LENGTH",
    "PhoneNormalizer",
    "normalize_email",
    "normalize_phone",
    "normalize_subscriber",
]

# Longer than any formatted number with generous spacing; anything longer is a
# pasted paragraph, not a phone number, and is rejected before phonenumbers runs.
MAX_PHONE_INPUT_LENGTH = 64

EMPTY_PHONE_MESSAGE = "Enter a phone number."
TOO_LONG_MESSAGE = "“%(value)s” is too long to be a phone number."
NOT_A_NUMBER_MESSAGE = (
    "“%(value)s” is not a phone number: use digits, spaces and + - ( ) . / only, "
    "without letters or an extension."
)
DECIMAL_MESSAGE = "“%(value)s” is a decimal number, not a phone number."
INVALID_NUMBER_MESSAGE = (
    "“%(value)s” is not a valid phone number. Check the digits, or write it in "
    "international format: + and the country code."
)
EMPTY_EMAIL_MESSAGE = "Enter an email address."
INVALID_EMAIL_MESSAGE = "“%(value)s” is not a valid email address."

# Characters people and spreadsheets put between digits. Whitespace includes the
# non-breaking and thin spaces that word processors and Excel insert.
_SEPARATORS = " \t\n\r\f\v\xa0\u2002\u2003\u2007\u2009\u200a\u200b\u202f\u205f\u3000\ufeff"
_SEPARATORS += "-\u2010\u2011\u2012\u2013\u2014./()[]"
_DROP_SEPARATORS = str.maketrans("", "", _SEPARATORS)
# Stripped from both ends only: CSV quoting left in place, Excel's leading
# apostrophe that forces text, typographic quotes from word processors.
_SURROUNDING = " \t\n\r\f\v\xa0\u200b\u202f\ufeff\"'`\u2018\u2019\u201c\u201d"
_CLEAN_NUMBER = re.compile(r"\+?[0-9]+")
# "4.155550123E+09", "1.4155550123e10", "14155550123.0": what Excel makes of a
# number column. Dotted phone numbers ("415.555.0123") have more than one dot.
_SPREADSHEET_FLOAT = re.compile(r"[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]+|[0-9]+\.0+")


def _phone_error(message: str, code: str, text: str) -> ValidationError:
    return ValidationError(message, code=code, params={"value": text})


def _region(country: str | None) -> str | None:
    """The phonenumbers region for an ISO 3166 alpha-2 code, or None for no default."""
    if not country:
        return None
    region = country.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"Unknown country code for phone numbers: {country!r}")
    return region


def _is_spreadsheet_float(text: str) -> bool:
    return _SPREADSHEET_FLOAT.fullmatch(text.strip(_SURROUNDING)) is not None


def _clean_phone_text(text: str) -> str:
    """Reduce the input to ``+digits`` or ``digits``, or raise ValidationError."""
    if len(text) > MAX_PHONE_INPUT_LENGTH:
        raise _phone_error(TOO_LONG_MESSAGE, "not_a_number", text[:MAX_PHONE_INPUT_LENGTH] + "…")
    cleaned = text.strip(_SURROUNDING)
    if not cleaned:
        raise ValidationError(EMPTY_PHONE_MESSAGE, code="empty")
    if _SPREADSHEET_FLOAT.fullmatch(cleaned):
        try:
            value = Decimal(cleaned)
        except InvalidOperation:  # pragma: no cover - the regex only lets numbers through
            raise _phone_error(NOT_A_NUMBER_MESSAGE, "not_a_number", text) from None
        # Guard before int(): "1E999999" would otherwise build a huge integer.
        if value.adjusted() > 20:
            raise _phone_error(TOO_LONG_MESSAGE, "not_a_number", text)
        if value != value.to_integral_value():
            raise _phone_error(DECIMAL_MESSAGE, "not_a_number", text)
        return str(int(value))
    cleaned = cleaned.translate(_DROP_SEPARATORS)
    if not cleaned.isascii():
        # Full-width and Arabic-Indic digits, as phonenumbers itself accepts them.
        cleaned = "".join(
            str(unicodedata.decimal(char)) if char.isdecimal() else char for char in cleaned
        ).replace("\uff0b", "+")
    if _CLEAN_NUMBER.fullmatch(cleaned):
        return cleaned
    raise _phone_error(NOT_A_NUMBER_MESSAGE, "not_a_number", text)


def _e164_if_valid(candidate: str, region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(candidate, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _resolve_phone(candidate: str, region: str | None) -> str | None:
    """E.164 for a cleaned candidate, or None; the order of attempts is the policy."""
    if candidate.startswith("+"):
        return _e164_if_valid(candidate, region)
    if candidate.startswith("00"):
        # phonenumbers reads 00 as international only where 00 is the local
        # international prefix (not in the US); read it as + everywhere, then let
        # the region's own prefix have a go (AU "0011", BR "0021" carrier codes).
        e164 = _e164_if_valid("+" + candidate[2:], region)
        if e164 is None and region is not None:
            e164 = _e164_if_valid(candidate, region)
        return e164
    if region is not None:
        e164 = _e164_if_valid(candidate, region)
        if e164 is not None:
            return e164
    # A number that lost its "+" in a spreadsheet: "447911123456".
    return _e164_if_valid("+" + candidate, region)


def normalize_phone(text: str, country: str | None) -> str:
    """Return ``text`` as an E.164 phone number, or raise ValidationError.

    ``country`` is the ISO 3166 alpha-2 code used for numbers written without a
    country code; with None only international numbers are accepted. Error codes:
    ``empty``, ``not_a_number`` (letters, extensions, decimals, too long) and
    ``invalid_number`` (digits that are not a valid number).
    """
    if text is None:
        text = ""
    elif not isinstance(text, str):
        # openpyxl hands over ints and floats for number cells.
        text = str(text)
    region = _region(country)
    e164 = _resolve_phone(_clean_phone_text(text), region)
    if e164 is None:
        raise _phone_error(INVALID_NUMBER_MESSAGE, "invalid_number", text)
    return e164


def normalize_email(text: str) -> str:
    """Return ``text`` stripped and lower-cased, or raise ValidationError.

    The whole address is lower-cased: mail providers treat local parts
    case-insensitively in practice, and a blocklist must not miss "Ann@x.com"
    because "ann@x.com" was entered.
    """
    address = (text or "").strip().lower()
    if not address:
        raise ValidationError(EMPTY_EMAIL_MESSAGE, code="empty")
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(
            INVALID_EMAIL_MESSAGE, code="invalid_email", params={"value": text}
        ) from None
    return address


def normalize_subscriber(sender_kind: str, text: str, country: str | None) -> str:
    """Normalise a subscriber address for a sender kind: email for "email", phone otherwise."""
    if sender_kind == "email":
        return normalize_email(text)
    return normalize_phone(text, country)


# ---------------------------------------------------------------------------
# Bulk path
# ---------------------------------------------------------------------------

# Returned by the fast path for inputs it leaves to normalize_phone.
_SLOW = object()

# Number types in the order phonenumbers' _number_type_helper tries them; a
# number is valid when the general description and one of these match.
_NUMBER_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
)

_TOO_SHORT, _POSSIBLE, _LOCAL_ONLY, _INVALID_LENGTH, _TOO_LONG = range(5)
_COUNTRY_CODES = frozenset(str(code) for code in COUNTRY_CODE_TO_REGION_CODE)


def _compiled(pattern: str | None) -> Pattern[str] | None:
    return re.compile(pattern) if pattern else None


@dataclass(eq=False)
class _RegionRules:
    """The parts of one region's phonenumbers metadata the fast path needs, compiled once."""

    metadata: PhoneMetadata
    country_code: int
    country_code_text: str
    international_prefix: Pattern[str] | None
    national_prefix: Pattern[str] | None
    national_prefix_transform: str | None
    general: Pattern[str] | None
    possible_lengths: tuple[int, ...]
    local_lengths: tuple[int, ...]
    leading_digits: Pattern[str] | None
    valid_for_country_code: bool
    _valid_by_length: dict[int, Pattern[str] | None] = field(default_factory=dict)

    @classmethod
    def build(cls, metadata: PhoneMetadata, country_code: int, region: str) -> _RegionRules:
        general = metadata.general_desc
        return cls(
            metadata=metadata,
            country_code=metadata.country_code,
            country_code_text=str(metadata.country_code),
            international_prefix=_compiled(metadata.international_prefix),
            national_prefix=_compiled(metadata.national_prefix_for_parsing),
            national_prefix_transform=metadata.national_prefix_transform_rule or None,
            general=_compiled(general.national_number_pattern),
            possible_lengths=tuple(general.possible_length),
            local_lengths=tuple(general.possible_length_local_only),
            leading_digits=_compiled(metadata.leading_digits),
            # is_valid_number_for_region's own guard; always true in practice.
            valid_for_country_code=(
                region == REGION_CODE_FOR_NON_GEO_ENTITY or metadata.country_code == country_code
            ),
        )

    def matches_general(self, digits: str) -> bool:
        """phonenumbers' _match_national_number against the general description."""
        return self.general is not None and self.general.fullmatch(digits) is not None

    def length_result(self, digits: str) -> int:
        """phonenumbers' _test_number_length for the UNKNOWN type."""
        length = len(digits)
        if length in self.local_lengths:
            return _LOCAL_ONLY
        lengths = self.possible_lengths
        if lengths[0] == length:
            return _POSSIBLE
        if lengths[0] > length:
            return _TOO_SHORT
        if lengths[-1] < length:
            return _TOO_LONG
        return _POSSIBLE if length in lengths[1:] else _INVALID_LENGTH

    def is_valid(self, national_number: str) -> bool:
        """phonenumbers' _number_type_helper(...) != UNKNOWN, one regex per length."""
        length = len(national_number)
        try:
            pattern = self._valid_by_length[length]
        except KeyError:
            pattern = self._valid_by_length[length] = self._validity_pattern(length)
        return pattern is not None and pattern.fullmatch(national_number) is not None

    def _validity_pattern(self, length: int) -> Pattern[str] | None:
        # An alternation fully matches exactly when one alternative does, so the
        # type descriptions whose possible lengths admit this length are joined
        # into one regex, behind a lookahead for the general description.
        metadata = self.metadata
        general = metadata.general_desc
        if not self.valid_for_country_code or self.general is None:
            return None
        if general.possible_length and length not in general.possible_length:
            return None
        names = list(_NUMBER_TYPES)
        if not metadata.same_mobile_and_fixed_line_pattern:
            names.append("mobile")
        alternatives = []
        for name in names:
            desc = getattr(metadata, name)
            if desc is None or not desc.national_number_pattern:
                continue
            if desc.possible_length and length not in desc.possible_length:
                continue
            alternatives.append(f"(?:{desc.national_number_pattern})")
        if not alternatives:
            return None
        return re.compile(
            rf"(?=(?:{general.national_number_pattern})\Z)(?:{'|'.join(alternatives)})"
        )


_RULES_BY_REGION: dict[str, _RegionRules] = {}
_RULES_BY_COUNTRY_CODE: dict[int, tuple[_RegionRules, ...]] = {}


def _rules_for_region(region: str) -> _RegionRules:
    rules = _RULES_BY_REGION.get(region)
    if rules is None:
        metadata = PhoneMetadata.metadata_for_region(region)
        rules = _RULES_BY_REGION[region] = _RegionRules.build(
            metadata, metadata.country_code, region
        )
    return rules


def _rules_for_country_code(country_code: int) -> tuple[_RegionRules, ...]:
    """Rules of the regions sharing a calling code, main region first (phonenumbers' order)."""
    rules = _RULES_BY_COUNTRY_CODE.get(country_code)
    if rules is None:
        found = []
        for region in COUNTRY_CODE_TO_REGION_CODE[country_code]:
            metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
            if metadata is not None:
                found.append(_RegionRules.build(metadata, country_code, region))
        rules = _RULES_BY_COUNTRY_CODE[country_code] = tuple(found)
    return rules


class PhoneNormalizer:
    """``normalize_phone`` for bulk imports: the same answers, several times faster.

    Why: ``phonenumbers.parse`` + ``is_valid_number`` manage 12,000 to 30,000
    numbers a second on one core, and a CSV import has millions of rows. Most rows are plain shapes
    ("4155550123", "1-415-555-0123", "+44 7911 123456"), for which parsing needs
    none of phonenumbers' generality (alpha numbers, extensions, RFC 3966, IDD
    prefixes, carrier codes).

    How it stays correct: it strips the same separators as ``normalize_phone``,
    makes the same attempts in the same order (national, then with "+"; "00" read
    as "+"), and runs each attempt through a line-by-line mirror of
    ``phonenumbers.parse`` for digit strings and of ``is_valid_number``, using
    phonenumbers' own metadata (patterns, possible lengths, national and
    international prefixes, leading digits of the regions sharing a calling
    code), compiled once per region. Wherever phonenumbers would take a rarer
    branch, it does not guess but hands the input to ``normalize_phone``:

    - anything but separators, digits and a leading "+" (quotes, letters,
      spreadsheet floats, unicode digits), or more than 64 characters;
    - a number starting with the region's international prefix ("011..." in the
      US), also after a "+" with no known calling code ("+011 44 ..."), where
      phonenumbers retries the digits as a national number;
    - a national prefix with a transform rule that applies (7-digit local
      numbers in the Caribbean, Argentine and Brazilian carrier codes).

    The tests compare both paths on a large generated sample.
    """

    def __init__(self, country: str | None) -> None:
        self.country = country
        self.region = _region(country)
        self._rules = _rules_for_region(self.region) if self.region else None

    def normalize(self, text: str) -> str:
        """E.164 for ``text``, or ValidationError with the same code as normalize_phone."""
        result = self._fast(text) if isinstance(text, str) else _SLOW
        if result is _SLOW or result is None:
            # Slow path: decides the hard cases and raises the detailed error.
            return normalize_phone(text, self.country)
        return result

    def try_normalize(self, text: str) -> tuple[str | None, str | None]:
        """``(e164, None)`` or ``(None, error message)``, without raising."""
        result = self._fast(text) if isinstance(text, str) else _SLOW
        if result is _SLOW:
            try:
                return normalize_phone(text, self.country), None
            except ValidationError as error:
                return None, error.messages[0]
        if result is None:
            return None, INVALID_NUMBER_MESSAGE % {"value": text}
        return result, None

    # The fast path returns an E.164 string, None (invalid) or _SLOW.

    def _fast(self, text: str) -> str | None | object:
        if len(text) > MAX_PHONE_INPUT_LENGTH:
            return _SLOW
        cleaned = text.translate(_DROP_SEPARATORS)
        international = cleaned[:1] == "+"
        digits = cleaned[1:] if international else cleaned
        if not (digits.isascii() and digits.isdigit()):
            return _SLOW
        if "." in text and _is_spreadsheet_float(text):
            return _SLOW
        if international:
            return self._international(digits)
        if digits[:2] == "00":
            result = self._international(digits[2:])
            if result is None and self._rules is not None:
                return self._national(digits)
            return result
        if self._rules is not None:
            result = self._national(digits)
            if result is not None:
                return result
        return self._international(digits)

    def _international(self, digits: str) -> str | None | object:
        """parse("+" + digits) then is_valid_number, for ASCII digits."""
        if len(digits) < 3:
            return None  # not viable / too short after the "+"
        for size in (1, 2, 3):
            if digits[:size] in _COUNTRY_CODES:
                break
        else:
            # No calling code ("+0...", "+28..."): phonenumbers retries the digits
            # as a national number, which only works if they start with the
            # region's international prefix ("+011 44 ..." in the US).
            rules = self._rules
            if (
                rules is not None
                and rules.international_prefix is not None
                and rules.international_prefix.match(digits)
            ):
                return _SLOW
            return None
        country_code = int(digits[:size])
        regions = _rules_for_country_code(country_code)
        return self._finish(country_code, digits[size:], regions[0], regions)

    def _national(self, digits: str) -> str | None | object:
        """parse(digits, region) then is_valid_number, for ASCII digits."""
        rules = self._rules
        if len(digits) < 2:
            return None  # not viable
        if rules.international_prefix is not None and rules.international_prefix.match(digits):
            return _SLOW
        # _maybe_extract_country_code: "14155550123" in the US carries its
        # country code without the "+".
        if digits.startswith(rules.country_code_text):
            potential = _strip_national_prefix(digits[len(rules.country_code_text) :], rules)
            if potential is _SLOW:
                return _SLOW
            if (
                not rules.matches_general(digits) and rules.matches_general(potential)
            ) or rules.length_result(digits) == _TOO_LONG:
                regions = _rules_for_country_code(rules.country_code)
                return self._finish(rules.country_code, potential, regions[0], regions)
        return self._finish(
            rules.country_code, digits, rules, _rules_for_country_code(rules.country_code)
        )

    @staticmethod
    def _finish(
        country_code: int,
        national_number: str,
        rules: _RegionRules,
        regions: tuple[_RegionRules, ...],
    ) -> str | None | object:
        """The end of parse (national prefix, lengths) and is_valid_number."""
        if len(national_number) < 2:
            return None
        stripped = _strip_national_prefix(national_number, rules)
        if stripped is _SLOW:
            return _SLOW
        if stripped != national_number and rules.length_result(stripped) in (
            _POSSIBLE,
            _TOO_LONG,
        ):
            national_number = stripped
        if not 2 <= len(national_number) <= 17:
            return None
        if not _is_valid_for_calling_code(national_number, regions):
            return None
        return f"+{country_code}{national_number}"


def _strip_national_prefix(digits: str, rules: _RegionRules) -> str | object:
    """phonenumbers' _maybe_strip_national_prefix_carrier_code, minus transform rules."""
    if not digits or rules.national_prefix is None:
        return digits
    match = rules.national_prefix.match(digits)
    if match is None:
        return digits
    if rules.national_prefix_transform is not None:
        groups = match.groups()
        if not groups or groups[-1] is not None:
            return _SLOW
    rest = digits[match.end() :]
    if rules.matches_general(digits) and not rules.matches_general(rest):
        return digits
    return rest


def _is_valid_for_calling_code(national_number: str, regions: tuple[_RegionRules, ...]) -> bool:
    """is_valid_number: validity for the region phonenumbers assigns the number to.

    With one region per calling code, that region. With several (NANP, +44,
    +7, ...) phonenumbers takes the first in its list whose leading digits match
    or, for regions without leading digits, whose patterns match, and judges the
    number against that region alone.
    """
    if len(regions) == 1:
        return regions[0].is_valid(national_number)
    for rules in regions:
        if rules.leading_digits is not None:
            if rules.leading_digits.match(national_number):
                return rules.is_valid(national_number)
        elif rules.is_valid(national_number):
            return True
    return False
