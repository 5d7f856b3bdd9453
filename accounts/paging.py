"""Paging of the long lists: no count, and a last page.

Every list of millions of rows is paged without ``COUNT(*)`` (django-tables2's
``LazyPaginator``: it reads one row past the page to know there is a next one).
Its page number is an offset, and the database reads every row before it: on
10M messages page 20,000 took 0.3–1 s and page 200,000 2.7–14 s (warm, cold), and
a page number past PostgreSQL's bigint was a server error. Past ``MAX_PAGES`` a list answers
its last page, and says that the rest is reached by narrowing the search (the
dates, a number, a status) or by the export, which has no limit.
"""

from __future__ import annotations

from django_tables2.paginators import LazyPaginator

MAX_PAGES = 1000


class ListPaginator(LazyPaginator):
    """``fill``: called with the records of the page read, to add what the list's query
    leaves out (``messaging.selectors.fill_answered``): a value computed in the SELECT
    is computed for every row the page's OFFSET skips as well."""

    max_pages = MAX_PAGES

    def __init__(self, *args, fill=None, **kwargs):
        self.more_than_shown = False
        self.fill = fill
        super().__init__(*args, **kwargs)

    def validate_number(self, number):
        return min(super().validate_number(number), self.max_pages)

    def page(self, number):
        page = super().page(number)
        if page.number == self.max_pages and self._num_pages > page.number:
            self.more_than_shown = True  # rows past the last page: no "next" to them
            self._num_pages = page.number
        if self.fill is not None:
            self.fill([getattr(row, "record", row) for row in page.object_list])
        return page

    @property
    def shown(self) -> str:
        return f"{self.max_pages:,} pages ({self.max_pages * self.per_page:,} rows)"
