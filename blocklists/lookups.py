"""Set-based "which of these numbers are in the table" lookups, fast on both databases.

On PostgreSQL the whole chunk travels as ONE array parameter (``= ANY(%s)``):
100,000 numbers cost one bound value instead of 100,000 literals to parse and
plan (TOOLCHAIN.md measured 3.7 s for ``IN`` with 100k literals vs under 1 s).
SQLite has no arrays and a bound-parameter limit, so it gets ``IN`` in chunks.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet

POSTGRESQL_CHUNK = 100_000
PORTABLE_CHUNK = 10_000


def chunk_size() -> int:
    return POSTGRESQL_CHUNK if connection.vendor == "postgresql" else PORTABLE_CHUNK


def number_in(queryset: QuerySet, field: str, values: list[str]) -> QuerySet:
    """``queryset`` restricted to rows whose ``field`` is one of ``values``."""
    if connection.vendor == "postgresql":
        column = queryset.model._meta.get_field(field).column
        table = queryset.model._meta.db_table
        # .extra is the one way to pass a whole list as a single array parameter.
        return queryset.extra(where=[f'"{table}"."{column}" = ANY(%s)'], params=[list(values)])
    return queryset.filter(**{f"{field}__in": values})


# The separator of ``text_array``: no normalised number or email holds it (Django's
# email validation refuses a line break even in a quoted local part).
_SEPARATOR = "\n"


def text_array(values: list[str]) -> tuple[str, list[str]]:
    """SQL for a ``varchar[]`` of ``values`` (PostgreSQL) and its parameters.

    psycopg writes a list of strings as an array literal in Python: 227 ms for
    100,000 numbers on the fourteenth session's machine, once per query of the
    suppression check. Joined into one text and split by PostgreSQL, the same array
    costs a ``str.join``. Values that would not survive the split (one holding the
    separator, a lone empty string) travel as the list.
    """
    joined = _SEPARATOR.join(values)
    if joined.count(_SEPARATOR) == len(values) - 1 and (joined or not values):
        return "string_to_array(%s, chr(10))::varchar[]", [joined]
    return "%s::varchar[]", [list(values)]
