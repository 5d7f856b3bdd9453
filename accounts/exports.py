"""Downloads of table rows (CSV streamed, XLSX capped) that are safe to open in a spreadsheet.

Shared by every app's list pages; lives in the lowest app so all may import it.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

FORMATS = ("csv", "xlsx")
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


def export_response(
    request, *, stem: str, header: list[str], rows: Iterable, row: Callable[..., list]
) -> HttpResponse | None:
    """The download a list page's ``?_export=csv|xlsx`` asks for, or None for the page.

    ``rows``: every row the page's filters leave, in the page's default order (not one
    page); a queryset is read in chunks. ``row`` turns one into the cells of ``header``.
    """
    export = request.GET.get("_export")
    if export not in FORMATS:
        return None
    if isinstance(rows, QuerySet):
        rows = rows.iterator(chunk_size=5000)
    data = (row(obj) for obj in rows)
    name = export_name(stem, export)
    return stream_csv(name, header, data) if export == "csv" else xlsx_response(name, header, data)


def export_links(params, **extra) -> dict[str, str]:
    """``export_csv`` and ``export_xlsx``: the page's own query (its filters, ``extra``
    added, without the page number) asking for each download."""
    query = {k: v for k, v in params.items() if k not in ("page", "_export")} | extra
    return {f"export_{fmt}": "?" + urlencode({**query, "_export": fmt}) for fmt in FORMATS}
