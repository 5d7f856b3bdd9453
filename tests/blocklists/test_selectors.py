"""blocklists.selectors.SubscriberSearch: a search's alternatives, apart."""

from django.db.models import Q

from blocklists.selectors import SubscriberSearch


def _range(prefix, above):
    return Q(subscriber__gte=prefix) & Q(subscriber__lt=above)


def test_parts_are_the_outer_ranges_and_the_number_outside_them():
    search = SubscriberSearch(exact="+14155550101", prefixes=("+4155550101", "+14155550101"))
    assert search.range_parts() == [
        _range("+14155550101", "+14155550102"),
        _range("+4155550101", "+4155550102"),
    ]
    nested = SubscriberSearch(prefixes=("+1415", "+14155", "+4155"))
    assert nested.range_parts() == [_range("+1415", "+1416"), _range("+4155", "+4156")]
    apart = SubscriberSearch(exact="+33612345678", prefixes=("+1612",))
    assert apart.range_parts() == [_range("+1612", "+1613"), Q(subscriber="+33612345678")]


def test_no_parts_for_text_or_nothing():
    assert SubscriberSearch(prefixes=("jo@",)).range_parts() is None
    assert SubscriberSearch().range_parts() is None
