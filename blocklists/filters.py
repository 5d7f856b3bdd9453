import django_filters

from blocklists.models import BlocklistEntry, Reason, Source
from blocklists.selectors import interpret_search


class BlocklistEntryFilter(django_filters.FilterSet):
    """Search and filters of one sender's list; ``sender`` decides how a search is read."""

    q = django_filters.CharFilter(method="search", label="Subscriber")
    reason = django_filters.ChoiceFilter(choices=Reason.choices, empty_label="Any reason")
    source = django_filters.ChoiceFilter(choices=Source.choices, empty_label="Any source")

    class Meta:
        model = BlocklistEntry
        fields = ["q", "reason", "source"]

    def __init__(self, *args, sender, **kwargs):
        self.sender = sender
        self.search_problem = None
        super().__init__(*args, **kwargs)
        self.form.fields["q"].widget.attrs.update(
            {
                "class": "form-control",
                "placeholder": "Email address" if sender.is_email else "Number in any format",
                "autocomplete": "off",
                "type": "search",
            }
        )
        for name in ("reason", "source"):
            self.form.fields[name].widget.attrs["class"] = "form-select"

    def search(self, queryset, name, value):
        search = interpret_search(
            value, sender_kind=self.sender.kind, country=self.sender.organization.country
        )
        if search.problem:
            self.search_problem = search.problem
            return queryset.none()
        condition = search.as_q()
        return queryset.filter(condition) if condition is not None else queryset
