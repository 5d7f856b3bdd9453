"""Phone and email normalisation, and the bulk path's agreement with the reference."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from django.core.exceptions import ValidationError

from accounts.normalization import (
    PhoneNormalizer,
    normalize_email,
    normalize_phone,
    normalize_subscriber,
)

VALID_PHONES = [
    # United States: what people type.
    ("(415) 555-0123", "US", "+14155550123"),
    ("415-555-0123", "US", "+14155550123"),
    ("415.555.0123", "US", "+14155550123"),
    ("415/555 0123", "US", "+14155550123"),
    ("4155550123", "US", "+14155550123"),
    ("1-415-555-0123", "US", "+14155550123"),
    ("1 (415) 555-0123", "US", "+14155550123"),
    ("+1 415-555-0123", "US", "+14155550123"),
    ("+1 (415) 555-0123", "GB", "+14155550123"),
    ("  +1\xa0415\xa0555\xa00123  ", "US", "+14155550123"),
    ('"(415) 555-0123"', "US", "+14155550123"),
    ("'+14155550123", "US", "+14155550123"),
    ("011 44 20 7946 0018", "US", "+442079460018"),
    ("+1 800 555 0199", None, "+18005550199"),
    # Spreadsheet damage.
    ("4.155550123E9", "US", "+14155550123"),
    ("4.155550123E+09", "US", "+14155550123"),
    ("4.155550123e+09", "US", "+14155550123"),
    ("14155550123.0", "US", "+14155550123"),
    ("1.4155550123e10", "US", "+14155550123"),
    ("4.47911123456E+11", "US", "+447911123456"),
    ("447911123456", "US", "+447911123456"),  # lost its "+"
    ("34612345678", "US", "+34612345678"),
    ("447911123456", None, "+447911123456"),
    # The price of the lost-plus rule: a US number with one digit too many can
    # be a valid Swiss one. The import's error report cannot catch this.
    ("415-555-01234", "US", "+41555501234"),
    # The 00 international prefix, where phonenumbers would not read it.
    ("0044 20 7946 0018", "US", "+442079460018"),
    ("00 34 612 34 56 78", "MX", "+34612345678"),
    ("0044 7911 123456", None, "+447911123456"),
    ("0011 44 20 7946 0018", "AU", "+442079460018"),  # Australia's own prefix still works
    # United Kingdom: a single leading 0 is the national prefix.
    ("020 7946 0018", "GB", "+442079460018"),
    ("07911 123456", "GB", "+447911123456"),
    ("+44 (0)20 7946 0018", "US", "+442079460018"),
    ("+44 7911 123456", "US", "+447911123456"),
    # Spain, Germany, France, Brazil, Mexico, India.
    ("612 34 56 78", "ES", "+34612345678"),
    ("+34 612 345 678", "US", "+34612345678"),
    ("030 123456", "DE", "+4930123456"),
    ("0151 23456789", "DE", "+4915123456789"),
    ("+49 151 23456789", None, "+4915123456789"),
    ("06 12 34 56 78", "FR", "+33612345678"),
    ("01.23.45.67.89", "FR", "+33123456789"),
    ("(11) 98765-4321", "BR", "+5511987654321"),
    ("+55 11 98765 4321", "US", "+5511987654321"),
    ("55 1234 5678", "MX", "+525512345678"),
    ("+52 55 1234 5678", "US", "+525512345678"),
    ("98765 43210", "IN", "+919876543210"),
    ("098765 43210", "IN", "+919876543210"),
    ("+91 98765 43210", "US", "+919876543210"),
    # Lower-case country codes are accepted.
    ("020 7946 0018", "gb", "+442079460018"),
    # Full-width digits, as typed on some Asian keyboards.
    ("４１５５５５０１２３", "US", "+14155550123"),
]

INVALID_PHONES = [
    ("", "US", "empty"),
    ("   ", "US", "empty"),
    ('""', "US", "empty"),
    ("555-0123", "US", "invalid_number"),  # local number without area code
    ("+1 555 555 0123", "US", "invalid_number"),  # 555 is not an area code
    ("415-555-012", "US", "invalid_number"),
    ("1-415-555-01234", "US", "invalid_number"),
    ("4155550123", None, "invalid_number"),  # no country given, no country code
    ("020 7946 0018", "US", "invalid_number"),
    ("612 34 56 78", "GB", "invalid_number"),
    ("+44 20 7946 001", "GB", "invalid_number"),
    ("0 612 34 56 78", "ES", "invalid_number"),
    ("12", "DE", "invalid_number"),
    ("+0 415 555 0123", "US", "invalid_number"),
    ("+999 1234 5678", "US", "invalid_number"),
    ("00", "US", "invalid_number"),
    ("1-800-FLOWERS", "US", "not_a_number"),
    ("1-800-356-9377 ext. 123", "US", "not_a_number"),
    ("415 555 0123 x123", "US", "not_a_number"),
    ("415 555 0123 #123", "US", "not_a_number"),
    ("tel:+14155550123", "US", "not_a_number"),
    ("14+155550123", "US", "not_a_number"),
    ("++14155550123", "US", "not_a_number"),
    ("4.1555501235E9", "US", "not_a_number"),  # a float that is not an integer
    ("1E999999999", "US", "not_a_number"),
    ("-", "US", "not_a_number"),
    ("4" * 65, "US", "not_a_number"),  # too long, rejected before parsing
    ("+1 415 555 0123" + " " * 50, "US", "not_a_number"),
]


@pytest.mark.parametrize(("text", "country", "expected"), VALID_PHONES)
def test_normalize_phone_accepts(text, country, expected):
    assert normalize_phone(text, country) == expected


@pytest.mark.parametrize(("text", "country", "code"), INVALID_PHONES)
def test_normalize_phone_rejects_with_code(text, country, code):
    with pytest.raises(ValidationError) as caught:
        normalize_phone(text, country)
    assert caught.value.code == code
    assert caught.value.messages[0]  # a message a person can read


def test_normalize_phone_accepts_spreadsheet_cell_values():
    assert normalize_phone(4155550123, "US") == "+14155550123"
    assert normalize_phone(4155550123.0, "US") == "+14155550123"
    assert normalize_phone(14155550123.0, "US") == "+14155550123"
    with pytest.raises(ValidationError):
        normalize_phone(None, "US")


def test_normalize_phone_rejects_unknown_country():
    with pytest.raises(ValueError):
        normalize_phone("4155550123", "XX")
    with pytest.raises(ValueError):
        PhoneNormalizer("XX")


def test_normalize_phone_too_long_input_never_reaches_phonenumbers(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("phonenumbers.parse called")

    monkeypatch.setattr(phonenumbers, "parse", fail)
    with pytest.raises(ValidationError):
        normalize_phone("1" * 65, "US")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ann@example.com", "ann@example.com"),
        ("  Ann.Lee@Example.COM \n", "ann.lee@example.com"),
        ("ANN+news@sub.example.co.uk", "ann+news@sub.example.co.uk"),
    ],
)
def test_normalize_email_accepts(text, expected):
    assert normalize_email(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
        ("ann", "invalid_email"),
        ("ann@", "invalid_email"),
        ("@example.com", "invalid_email"),
        ("ann@example", "invalid_email"),
        ("ann lee@example.com", "invalid_email"),
        ("ann@@example.com", "invalid_email"),
    ],
)
def test_normalize_email_rejects_with_code(text, code):
    with pytest.raises(ValidationError) as caught:
        normalize_email(text)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("kind", "text", "country", "expected"),
    [
        ("email", " Ann@Example.com ", "US", "ann@example.com"),
        ("email", "Ann@Example.com", None, "ann@example.com"),
        ("sms_short_code", "(415) 555-0123", "US", "+14155550123"),
        ("sms_long_code", "0044 7911 123456", "US", "+447911123456"),
        ("whatsapp", "+34 612 34 56 78", None, "+34612345678"),
        ("rcs", "020 7946 0018", "GB", "+442079460018"),
    ],
)
def test_normalize_subscriber_by_sender_kind(kind, text, country, expected):
    assert normalize_subscriber(kind, text, country) == expected


@pytest.mark.parametrize(
    ("kind", "text", "code"),
    [
        ("email", "4155550123", "invalid_email"),
        ("sms_long_code", "ann@example.com", "not_a_number"),
        ("whatsapp", "", "empty"),
    ],
)
def test_normalize_subscriber_rejects(kind, text, code):
    with pytest.raises(ValidationError) as caught:
        normalize_subscriber(kind, text, "US")
    assert caught.value.code == code


# ---------------------------------------------------------------------------
# The bulk path must agree with normalize_phone on everything.
# ---------------------------------------------------------------------------

EQUIVALENCE_COUNTRIES = ["US", "CA", "JM", "AG", "GB", "ES", "DE", "FR", "BR", "MX", "IN", "AR"]
EQUIVALENCE_COUNTRIES.append(None)  # international numbers only
# Numbers from these regions are mixed into every country's sample, so that
# "+", "00" and lost-plus inputs meet regions sharing a calling code (NANP,
# +44, +7), national-prefix rules with transforms (AR, BR) and leading zeros (IT).
SAMPLE_REGIONS = [
    "US", "CA", "JM", "AG", "BS", "PR", "DO", "GB", "GG", "IM", "JE", "ES", "DE", "FR", "BR",
    "MX", "IN", "AR", "IT", "RU", "KZ", "AU", "NZ", "JP", "CN", "ZA", "NG", "SE", "NL", "CH",
]  # fmt: skip
NUMBER_TYPES = [
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.VOIP,
]
SEPARATORS = [" ", " ", "-", "-", ".", "\xa0", "/", "(", ")", ""]
SAMPLE_SIZE = 60_000


def _example_numbers():
    examples = []
    for region in SAMPLE_REGIONS:
        for number_type in NUMBER_TYPES:
            number = phonenumbers.example_number_for_type(region, number_type)
            if number is not None:
                examples.append(number)
    return examples


def _mutate_digits(rng, digits, count):
    chars = list(digits)
    for _ in range(count):
        chars[rng.randrange(len(chars))] = rng.choice("0123456789")
    return "".join(chars)


def _scatter_separators(rng, text):
    if rng.random() < 0.3:
        return text
    out = []
    for char in text:
        out.append(char)
        if char.isdigit() and rng.random() < 0.2:
            out.append(rng.choice(SEPARATORS))
    return "".join(out)


def _sample_input(rng, examples):
    shape = rng.random()
    if shape < 0.45:
        # A real number, maybe with its last digits changed, in some written form.
        number = rng.choice(examples)
        nsn = phonenumbers.national_significant_number(number)
        nsn = nsn[:-4] + _mutate_digits(rng, nsn[-4:], rng.choice([0, 0, 1, 2, 4]))
        cc = str(number.country_code)
        form = rng.choice(["e164", "national", "lost_plus", "00", "nsn", "1nsn", "011"])
        text = {
            "e164": f"+{cc}{nsn}",
            "lost_plus": f"{cc}{nsn}",
            "00": f"00{cc}{nsn}",
            "nsn": nsn,
            "1nsn": f"1{nsn}",
            "011": f"011{cc}{nsn}",
        }.get(form)
        if text is None:
            parsed = phonenumbers.parse(f"+{cc}{nsn}", None)
            text = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        return _scatter_separators(rng, text)
    if shape < 0.85:
        # Random digits, with and without an international or trunk prefix.
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(6, 16)))
        prefix = rng.choice(["", "", "", "+", "+", "00", "1", "+1", "0", "011", "+0"])
        return _scatter_separators(rng, prefix + digits)
    if shape < 0.93:
        # US-looking numbers, the bulk of real imports.
        area = rng.choice(["415", "212", "555", "800", "900", "268", "876", "604", "011", "123"])
        number = f"{area}{rng.randint(0, 9_999_999):07d}"
        template = rng.choice(
            ["{a}{n}", "({a}) {n3}-{n4}", "+1 {a}-{n3}-{n4}", "1-{a}-{n3}-{n4}", "{a}.{n3}.{n4}"]
        )
        return template.format(a=area, n=number[3:], n3=number[3:6], n4=number[6:])
    # Damaged input the bulk path must hand over untouched.
    digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 14)))
    return rng.choice(
        [
            f'"{digits}"',
            f"'{digits}",
            f"{digits}.0",
            f"{digits[:1]}.{digits[1:] or '0'}E+{len(digits) - 1:02d}",
            f"{digits[:1]}.{digits[1:] or '0'}e{len(digits) + 1}",
            f"{digits} ext. 12",
            f"{digits}x12",
            f"1-800-{digits[:3]}-ABCD",
            f"  {digits}\t",
            f"+{digits}+",
            f"({digits[:3]}){digits[3:]}",
            "",
            " ",
            f"{digits}{'0' * 60}",
            f"{digits}.{digits}",
        ]
    )


@pytest.fixture(scope="module")
def equivalence_sample():
    rng = random.Random(20240611)
    examples = _example_numbers()
    sample = []
    for _ in range(SAMPLE_SIZE):
        country = rng.choice(EQUIVALENCE_COUNTRIES)
        sample.append((country, _sample_input(rng, examples)))
    return sample


def _reference(text, country):
    try:
        return normalize_phone(text, country), None
    except ValidationError as error:
        return None, error.messages[0]


def test_bulk_path_agrees_with_normalize_phone(equivalence_sample):
    normalizers = {country: PhoneNormalizer(country) for country in EQUIVALENCE_COUNTRIES}
    disagreements = []
    valid = 0
    for country, text in equivalence_sample:
        expected = _reference(text, country)
        actual = normalizers[country].try_normalize(text)
        if actual != expected:
            disagreements.append((country, text, expected, actual))
        valid += expected[0] is not None
    assert disagreements[:20] == []
    # The sample must exercise both outcomes in earnest.
    assert SAMPLE_SIZE * 0.25 < valid < SAMPLE_SIZE * 0.75


def test_bulk_normalize_raises_like_normalize_phone(equivalence_sample):
    normalizers = {country: PhoneNormalizer(country) for country in EQUIVALENCE_COUNTRIES}
    checked = 0
    for country, text in equivalence_sample[:10_000]:
        try:
            expected = normalize_phone(text, country)
        except ValidationError as error:
            with pytest.raises(ValidationError) as caught:
                normalizers[country].normalize(text)
            assert caught.value.code == error.code, (country, text)
            checked += 1
        else:
            assert normalizers[country].normalize(text) == expected
    assert checked > 1_000


@pytest.mark.parametrize(("text", "country", "expected"), VALID_PHONES)
def test_bulk_path_accepts_the_same_examples(text, country, expected):
    assert PhoneNormalizer(country).try_normalize(text) == (expected, None)


@pytest.mark.parametrize(("text", "country", "code"), INVALID_PHONES)
def test_bulk_path_rejects_the_same_examples(text, country, code):
    e164, message = PhoneNormalizer(country).try_normalize(text)
    assert e164 is None
    assert message
