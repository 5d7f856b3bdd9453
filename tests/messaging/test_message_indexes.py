"""Every foreign key of a message is the leading column of an index (lookups and
cascades), and none has a second single-column index that only costs writes."""

import pytest
from django.db import connection

from messaging.models import Message


@pytest.mark.django_db
def test_each_foreign_key_leads_one_index_and_no_index_duplicates_a_composite():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Message._meta.db_table)
    indexes = [c["columns"] for c in constraints.values() if c["index"] or c["unique"]]
    for field in Message._meta.concrete_fields:
        if field.is_relation:
            assert any(columns[0] == field.column for columns in indexes), field.column
    for columns in indexes:
        if len(columns) == 1:
            longer = [c for c in indexes if len(c) > 1 and c[0] == columns[0]]
            assert not longer, f"index on {columns[0]} alone beside {longer}"
