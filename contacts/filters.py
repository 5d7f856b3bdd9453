import django_filters

from contacts.models import Contact
from contacts.selectors import contact_search_q


class ContactFilter(django_filters.FilterSet):
    """The search box of the Contacts list: name, number in any format, or email."""

    q = django_filters.CharFilter(method="search", label="Search")

    class Meta:
        model = Contact
        fields = ["q"]

    def __init__(self, *args, country: str = "US", **kwargs):
        self.country = country
        super().__init__(*args, **kwargs)
        self.form.fields["q"].widget.attrs.update(
            {
                "class": "form-control",
                "placeholder": "Name, number or email",
                "autocomplete": "off",
                "type": "search",
            }
        )

    def search(self, queryset, name, value):
        condition = contact_search_q(value, self.country)
        return queryset.filter(condition) if condition is not None else queryset
