"""The lookups that send many numbers to PostgreSQL in one parameter."""

import pytest
from django.db import connection

from blocklists.lookups import text_array
from messaging import selectors
from tests.factories import SenderFactory


def _through_postgresql(values: list[str]) -> list[str]:
    sql, params = text_array(values)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        return cursor.fetchone()[0]


@pytest.mark.postgresql
@pytest.mark.django_db
@pytest.mark.parametrize(
    "values",
    [
        ["+14155550101", "+14155550102", "+14155550101"],
        ["+14155550101"],
        [],
        [""],  # a lone empty string: the split of "" would give no element at all
        ["", "+14155550101", ""],
        ['"a,b"@example.com', "ann@example.com", "{x}@example.com", "o'neil@example.com"],
        ["line\nbreak", "+14155550101"],  # holds the separator: travels as a list
        ["%s", "%%", "\\", "NULL", "null"],
    ],
)
def test_text_array_gives_back_exactly_the_values(values):
    assert _through_postgresql(values) == values


def test_text_array_joins_what_survives_the_split_and_lists_the_rest():
    assert text_array(["+14155550101", "+14155550102"]) == (
        "string_to_array(%s, chr(10))::varchar[]",
        ["+14155550101\n+14155550102"],
    )
    assert text_array(["a\nb"]) == ("%s::varchar[]", [["a\nb"]])
    assert text_array([""]) == ("%s::varchar[]", [[""]])


@pytest.mark.postgresql
@pytest.mark.django_db
def test_the_email_check_finds_an_address_with_a_comma(org):
    from blocklists import services

    sender = SenderFactory(organization=org, kind="email", address="news@acme.example")
    quoted = '"smith,john"@example.com'
    services.opt_out(sender=sender, subscriber=quoted)
    found = selectors.suppressions_among(sender, ["ann@example.com", quoted])
    assert list(found) == [quoted]


def test_no_normalised_address_holds_the_separator():
    """What makes the split safe: a line break is refused even in a quoted local part."""
    from django.core.exceptions import ValidationError

    from accounts.normalization import normalize_email, normalize_phone

    for text in ('"a\nb"@example.com', '"a\\\nb"@example.com', "a\n@example.com"):
        with pytest.raises(ValidationError):
            normalize_email(text)
    assert "\n" not in normalize_phone("415 555\n0101", "US")
