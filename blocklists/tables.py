import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from accounts.columns import SortSwitch
from blocklists.models import BlocklistEntry


class BlocklistEntryTable(SortSwitch, tables.Table):
    subscriber = tables.Column(verbose_name="Subscriber", attrs={"td": {"class": "font-monospace"}})
    reason = tables.Column(verbose_name="Reason")
    source = tables.Column(verbose_name="Source")
    excluded_at = tables.DateTimeColumn(verbose_name="Exclusion Date", format="Y-m-d H:i T")
    actions = tables.Column(empty_values=(), orderable=False, verbose_name="Actions")

    class Meta:
        model = BlocklistEntry
        fields = ["subscriber", "reason", "source", "excluded_at"]
        sequence = ["subscriber", "reason", "source", "excluded_at", "actions"]
        order_by = "-excluded_at"
        attrs = {"class": "table table-hover table-sm align-middle", "id": "blocklist-table"}
        empty_text = "No entries."

    # Reason and source sort a search's entries only: no index keeps them in order,
    # and sorting a sender's 200,000 entries by one took 120 ms (lists grow to
    # millions). The subscriber sorts the whole list, as it always did, at that cost:
    # its unique index has pattern ops (for prefix searches), which only an ORDER BY
    # ... USING ~<~ could use, and Django's compiler cannot write one.
    always_sortable = ("subscriber", "excluded_at")

    def __init__(self, *args, can_revert: bool = False, **kwargs):
        self.can_revert = can_revert
        super().__init__(*args, **kwargs)

    def render_actions(self, record: BlocklistEntry):
        history = reverse("blocklists:history") + "?" + urlencode({"subscriber": record.subscriber})
        links = [format_html('<a class="btn btn-sm btn-link" href="{}">History</a>', history)]
        if self.can_revert:
            url = reverse("blocklists:revert", args=[record.sender_id, record.pk])
            links.append(
                format_html(
                    '<a class="btn btn-sm btn-outline-danger" href="{}" hx-get="{}" '
                    'hx-target="#modal-body" hx-swap="innerHTML" hx-push-url="false" '
                    'hx-boost="false">Revert</a>',
                    url,
                    url,
                )
            )
        return format_html("".join(["{}"] * len(links)), *links)

    def value_actions(self, record):
        return ""

    def order_excluded_at(self, queryset, is_descending):
        # Tie-break on id so paging is stable and served by the (sender, excluded_at, id) index.
        prefix = "-" if is_descending else ""
        return queryset.order_by(f"{prefix}excluded_at", f"{prefix}id"), True
