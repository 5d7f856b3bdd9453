"""Many rows of one model that differ in a field or two, inserted by COPY on PostgreSQL.

``bulk_create`` builds a model instance per row and adapts every field of every
row: 9.5 s for a 100,000-message batch, of which most is Python. Here the fields
that are the same for every row are converted once, from a template instance,
by the fields themselves (``pre_save``, ``get_db_prep_save``, a JSON field's
encoder), and only the varying ones per row. Triggers fire as for an INSERT.
Lives in the lowest app so every app may use it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db import connection, models

# COPY's text format: a backslash, a tab, a newline or a carriage return is escaped
# (``text.translate(COPY_ESCAPE)``).
COPY_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = "\\N"
_WRITE_BYTES = 1 << 20


def _copy_value(field: models.Field, value) -> str:
    if value is None:
        return _NULL
    if isinstance(field, models.JSONField):
        text = json.dumps(value, cls=field.encoder)
    else:
        value = field.get_db_prep_save(value, connection)
        if value is None:
            return _NULL
        text = ("t" if value else "f") if isinstance(value, bool) else str(value)
    return text.translate(COPY_ESCAPE)


def copy_insert(template: models.Model, varying: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert one row per item of ``rows``: ``template``'s values, with ``varying``'s
    fields (names) taken from the item, in that order. PostgreSQL only; runs in the
    caller's transaction. Returns the number of rows. The rows' ids are not read back.
    """
    assert connection.vendor == "postgresql", "COPY is PostgreSQL's"
    meta = template._meta
    fields = [field for field in meta.concrete_fields if not isinstance(field, models.AutoField)]
    by_name = {field.name: field for field in fields}
    moving = [by_name[name] for name in varying]
    fixed = [field for field in fields if field.name not in varying]
    assert fixed, "COPY of nothing but varying fields: use bulk_create"
    head = "\t".join(_copy_value(field, field.pre_save(template, add=True)) for field in fixed)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fixed + moving)
    count = 0
    statement = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(statement) as copy,
    ):
        lines: list[str] = []
        size = 0
        for row in rows:
            line = (
                head
                + "".join("\t" + _copy_value(f, v) for f, v in zip(moving, row, strict=True))
                + "\n"
            )
            lines.append(line)
            size += len(line)
            count += 1
            if size >= _WRITE_BYTES:
                copy.write("".join(lines))
                lines, size = [], 0
        if lines:
            copy.write("".join(lines))
    return count
