"""Table pieces shared by the list pages: columns, fast rows, row links."""

import functools
import inspect
from html import escape
from urllib.parse import quote

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import Model
from django.urls import get_script_prefix, reverse
from django.utils import dateformat, timezone
from django.utils.encoding import force_str
from django.utils.formats import localize
from django.utils.hashable import make_hashable
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString
from django_tables2 import Column, Table
from django_tables2.utils import Accessor


class LocalTimeColumn(Column):
    """A date and time in the viewer's time zone, formatted in Python.

    ``DateTimeColumn`` compiles and renders a small template for every cell,
    about a third of a 50-row page's rendering time; this renders the same text.
    """

    def __init__(self, *args, format: str = "Y-m-d H:i T", **kwargs):  # noqa: A002 (as DateTimeColumn)
        self.format = format
        self.strftime = _as_strftime(format)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return local_time(value, self.format, self.strftime)


def local_time(value, format: str, strftime: str | None = None) -> str:  # noqa: A002
    """``value|date:format`` in the viewer's zone, by strftime where ``format`` allows
    (5x faster than Django's formatter); ``strftime``: ``format`` translated already.
    Unlike the filter, an ambiguous local time keeps its zone."""
    local = timezone.localtime(value)
    strftime = strftime or _as_strftime(format)
    if strftime is None:
        return dateformat.format(local, format)
    return local.strftime(strftime)


# The date format characters the lists use, as strftime (%Z: the zone's abbreviation).
_STRFTIME = {"Y": "%Y", "m": "%m", "d": "%d", "H": "%H", "i": "%M", "s": "%S", "T": "%Z"}


@functools.cache
def _as_strftime(format: str) -> str | None:  # noqa: A002
    """``format`` (Django's date format) as a strftime format, or None when it has
    characters other than those of ``_STRFTIME`` and separators."""
    parts = []
    for char in format:
        if char in _STRFTIME:
            parts.append(_STRFTIME[char])
        elif char in " -:/.,":
            parts.append(char)
        else:
            return None
    return "".join(parts)


class SortSwitch:
    """A table whose columns sort only while the list is short enough, except
    ``always_sortable``: the columns an index keeps in order.

    ``sortable=False`` is for lists too long to read and sort whole: the headers stop
    offering the other columns and a sort asked for in the URL by one of them is
    ignored (the table's default order applies).
    """

    always_sortable: tuple[str, ...] = ("requested_at",)

    def __init__(self, *args, sortable: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not sortable:
            for bound in self.columns:
                if bound.name not in self.always_sortable:
                    bound.column.orderable = False


def loaded_fields(table_class: type[Table], *also: str, joined: bool = True) -> tuple[str, ...]:
    """The model fields a table's columns show (their accessors) and ``also``, the
    fields its render methods read: for ``QuerySet.only()``, so that a list loads no
    column it does not show (a message's JSON logs, say).

    A column of a related object (``sender__address``) names that field of the join;
    with ``joined=False``, for a list that prefetches its related objects instead,
    the foreign key (``sender``)."""
    model = table_class._meta.model
    shown = []
    for name, column in table_class.base_columns.items():
        accessor = Accessor(column.accessor or name)
        if accessor.get_field(model) is not None:
            shown.append(str(accessor) if joined else accessor.bits[0])
    return (*shown, *also)


def narrowed_to_few(filterset, *names: str, limit: int) -> bool:
    """Whether one of the filters ``names`` is set and leaves at most ``limit`` rows,
    counted no further than one more (``COUNT(*)`` over a ``LIMIT``): whether a long
    list is short enough to sort by a column no index keeps in order.

    A search the filterset could not read (its ``number_problem`` or
    ``search_problem``) narrows nothing. A filterset's ``search_parts``, disjoint
    alternatives of its search, are counted one by one.
    """
    rows = filterset.qs  # built first: building it is what finds a problem
    if getattr(filterset, "number_problem", None) or getattr(filterset, "search_problem", None):
        return False
    if not filterset.is_valid() or not any(filterset.form.cleaned_data.get(n) for n in names):
        return False
    parts = getattr(filterset, "search_parts", None)
    if not parts:
        return rows.order_by()[: limit + 1].count() <= limit
    # The search's alternatives one at a time, each along its index (they are disjoint).
    counted = 0
    for part in parts:
        counted += rows.filter(part).order_by()[: limit + 1 - counted].count()
        if counted > limit:
            return False
    return True


class FastRowsTable(SortSwitch, Table):
    """A django-tables2 table whose body rows are rendered in one Python loop.

    django-tables2 renders each cell through the template engine and inspects the
    render method's signature for every cell: about 70% of a 50-row search page.
    This renders the same HTML (a test compares both, cell for cell) with the work
    that does not depend on the row done once per column. Headers, sorting, paging
    and exports stay django-tables2's. Columns with ``linkify`` are not supported.
    """

    class Meta:
        template_name = "django_tables2/fast_rows.html"

    def tbody_html(self) -> str:
        cells = [_CellPlan(self, column) for column in self.columns]
        # Without row_attrs a row's attributes are its even/odd class (BoundRow.attrs).
        plain = ('class="even"', 'class="odd"') if not self.row_attrs else None
        rows = []
        for row in self.paginated_rows:
            record = row.record
            tds = "".join([plan.td(record, row) for plan in cells])
            attrs = plain[row.row_counter % 2] if plain else row.attrs.as_html()
            rows.append(f"<tr {attrs}>{tds}</tr>")
        return SafeString("\n".join(rows))  # every cell is escaped by _CellPlan


class _CellPlan:
    """What ``BoundRow.get_cell`` works out for every cell, worked out once per column.

    The common cases skip django-tables2's generic steps: a model field is read with
    ``getattr`` (``Accessor.resolve`` tries ``record[name]`` first, an exception for
    every model cell), a column without a render method returns its value as is, a
    string is neither localised nor lazily escaped, and a ``LocalTimeColumn`` reads
    the viewer's zone once per table. Anything else takes django-tables2's own path.
    """

    def __init__(self, table: Table, bound_column):
        column = bound_column.column
        if bound_column.link:
            raise ImproperlyConfigured(f"{bound_column.name}: FastRowsTable has no linkify")
        self.bound_column = bound_column
        self.table = table
        self.accessor = Accessor(bound_column.accessor)
        self.bits = tuple(self.accessor.bits)
        self.empty_values = column.empty_values
        self.default = bound_column.default
        self.render = bound_column.render
        self.wants = set(inspect.signature(self.render).parameters)
        # The column's own render, which returns the value unchanged: nothing to call.
        self.as_is = getattr(self.render, "__func__", None) is Column.render
        self.zone = None
        if (
            isinstance(column, LocalTimeColumn)
            and self.render == column.render
            and column.strftime is not None
        ):
            self.zone = timezone.get_current_timezone()
            self.strftime = column.strftime
        self.localize = column.localize
        self.display = None  # "get_<field>_display", decided on the first record
        self.labels = {}  # the field's choices, what get_<field>_display looks up
        self.attrs_html = None

    def value(self, record):
        if self.display is None:
            self.display = ""
            penultimate, remainder = self.accessor.penultimate(record)
            if isinstance(penultimate, Model):
                try:
                    field = self.accessor.get_field(record)
                except FieldDoesNotExist:
                    field = None
                display = f"get_{remainder}_display"
                if getattr(field, "choices", ()) and hasattr(penultimate, display):
                    self.display = field.attname
                    self.labels = {
                        make_hashable(value): force_str(label, strings_only=True)
                        for value, label in field.flatchoices
                    }
        try:
            if self.display:
                # As get_<field>_display, with the choices looked up once per table.
                penultimate = _resolve(record, self.bits[:-1])
                raw = getattr(penultimate, self.display)
                try:
                    return self.labels.get(raw, force_str(raw, strings_only=True))
                except TypeError:  # unhashable
                    return self.labels.get(make_hashable(raw), force_str(raw, strings_only=True))
            return _resolve(record, self.bits)
        except Exception:
            return None

    def td(self, record, row) -> str:
        value = self.value(record)
        if value in self.empty_values:
            content = self.default
        elif self.as_is:
            content = value
        elif self.zone is not None and getattr(value, "tzinfo", None) is not None:
            content = value.astimezone(self.zone).strftime(self.strftime)
        else:
            offered = {
                "value": value,
                "record": record,
                "column": self.bound_column.column,
                "bound_column": self.bound_column,
                "bound_row": row,
                "table": self.table,
            }
            content = self.render(**{name: offered[name] for name in self.wants})
        if isinstance(content, str):
            pass  # what localize returns for a string
        elif self.localize is True:
            content = localize(content, use_l10n=True)
        elif self.localize is False:
            content = localize(content, use_l10n=False)
        else:
            content = localize(content)
        if self.attrs_html is None:
            column = self.bound_column
            column.current_value, column.current_record = content, record
            self.attrs_html = column.attrs["td"].as_html()
        return f"<td {self.attrs_html}>{_escaped(content)}</td>"


def _resolve(record, bits: tuple[str, ...]):
    """``Accessor("__".join(bits)).resolve(record)``, by attributes while it meets
    models and plain values; anything else (a dict, a callable) takes the Accessor."""
    current = record
    for bit in bits:
        if not isinstance(current, Model):
            return Accessor(Accessor.SEPARATOR.join(bits)).resolve(record)
        current = getattr(current, bit)
        if current is None:
            break
        if callable(current):
            return Accessor(Accessor.SEPARATOR.join(bits)).resolve(record)
    return current


def _escaped(value) -> str:
    html = getattr(value, "__html__", None)
    return html() if html is not None else escape(str(value))


def cell_html(format_string: str, *args) -> str:
    """``format_html(format_string, *args)``, the same HTML without its lazy-string
    wrappers (a third of the render methods' time on a 50-row page)."""
    # SafeString: what mark_safe returns for a str, without its lazy-string wrapper.
    return SafeString(format_string.format(*map(_escaped, args)))


SENTINEL = 918273645546372819


@functools.cache
def _url_template(name: str, prefix: str) -> tuple[str, str]:
    url = reverse(name, args=[SENTINEL])
    if url.count(str(SENTINEL)) != 1:
        raise ImproperlyConfigured(f"{name}: needs one argument for url_for_each")
    before, _, after = url.partition(str(SENTINEL))
    return before, after


def url_for_each(name: str, value: object) -> str:
    """``reverse(name, args=[value])`` for a one-argument URL, without resolving the
    pattern again for every row of a table: reverse once, then fill the value in,
    quoted the way ``reverse`` quotes it."""
    before, after = _url_template(name, get_script_prefix())
    return f"{before}{quote(str(value), safe=RFC3986_SUBDELIMS + '/~:@')}{after}"
