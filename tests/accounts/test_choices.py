"""accounts.choices: a select of model choices read once, with django-filter's answers."""

import django_filters
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import ListedModelChoiceFilter
from accounts.models import Sender
from messaging.models import Message
from tests.factories import SenderFactory


def _filtersets(senders, **options):
    class Listed(django_filters.FilterSet):
        sender = ListedModelChoiceFilter(queryset=senders, **options)

        class Meta:
            model = Message
            fields = ["sender"]

    class Reference(django_filters.FilterSet):
        sender = django_filters.ModelChoiceFilter(queryset=senders, **options)

        class Meta:
            model = Message
            fields = ["sender"]

    return Listed, Reference


@pytest.fixture
def senders(org, sender):
    SenderFactory(organization=org, kind="sms_long_code", address="+14155554559", name="<b>Ops")
    SenderFactory(organization=org, kind="email", address="news@acme.example")
    return Sender.objects.filter(organization=org).order_by("kind", "address")


@pytest.mark.parametrize(
    "options",
    [{"empty_label": "Any"}, {"empty_label": None}, {"null_label": "None", "empty_label": "All"}],
)
@pytest.mark.parametrize(
    "value", [None, "", "first", "12abc", "999999", "other", "null", " 1 ", "1.0"]
)
def test_same_html_and_same_answer_as_django_filter(senders, other_sender, options, value):
    first = senders.first()
    data = {
        None: None,
        "first": {"sender": str(first.pk)},
        "other": {"sender": str(other_sender.pk)},  # another organization's: not offered
        " 1 ": {"sender": f" {first.pk} "},
    }.get(value, {"sender": value})
    listed_class, reference_class = _filtersets(senders, **options)
    listed = listed_class(data, queryset=Message.objects.all())
    reference = reference_class(data, queryset=Message.objects.all())
    assert str(listed.form["sender"]) == str(reference.form["sender"])
    assert listed.is_valid() == reference.is_valid()
    assert listed.form.errors == reference.form.errors
    if listed.is_valid():
        assert listed.form.cleaned_data == reference.form.cleaned_data
        assert list(listed.qs) == list(reference.qs)


def test_the_senders_are_read_once(senders):
    listed_class, _ = _filtersets(senders, empty_label="Any")
    chosen = str(senders.last().pk)
    with CaptureQueriesContext(connection) as queries:
        filterset = listed_class({"sender": chosen}, queryset=Message.objects.all())
        assert filterset.is_valid()
        html = str(filterset.form["sender"])
    assert html.count("<option") == 4 and "selected" in html
    assert len([q for q in queries if "accounts_sender" in q["sql"]]) == 1
