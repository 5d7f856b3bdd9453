"""Downloads of table rows (CSV streamed, XLSX capped) that are safe to open in a spreadsheet.

Shared by every app's list pages; lives in the lowest app so all may import it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

# Cells a spreadsheet would run as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 100_000


def neutralise(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES) and not _is_plain_phone(text):
        return "'" + text
    return text


def _is_plain_phone(text: str) -> bool:
    # E.164 numbers start with "+" and are data, not formulas: keep them readable.
    return text.startswith("+") and text[1:].isdigit()


class _Echo:
    def write(self, value):
        return value


def stream_csv(filename: str, header: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    """A CSV download produced row by row: memory stays flat for millions of rows."""
    writer = csv.writer(_Echo())

    def generate() -> Iterator[str]:
        yield "\ufeff"  # lets Excel read UTF-8
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([neutralise(cell) for cell in row])

    response = StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(filename: str, header: list[str], rows: Iterable[list]) -> HttpResponse:
    """An XLSX download of at most XLSX_MAX_ROWS rows (tablib builds it in memory)."""
    import tablib

    data = tablib.Dataset(headers=header)
    for index, row in enumerate(rows):
        if index >= XLSX_MAX_ROWS:
            break
        data.append([neutralise(cell) for cell in row])
    response = HttpResponse(
        data.export("xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_name(stem: str, extension: str) -> str:
    return f"{stem}-{timezone.now():%Y%m%d-%H%M}.{extension}"
