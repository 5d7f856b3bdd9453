"""accounts.rendering: select boxes built in Python are Django's own, byte for byte."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from accounts.models import Sender
from accounts.rendering import FastSelectRenderer, _select


class Form(forms.Form):
    plain = forms.ChoiceField(choices=[("", "Any"), ("a", "A & B"), ("<b>", '"quoted"')])
    grouped = forms.ChoiceField(
        choices=[("Fruit", [("1", "Apple"), ("2", "Pear")]), ("3", "Other <x>")],
        widget=forms.Select(attrs={"class": "form-select", "required": True, "x": False}),
    )
    many = forms.MultipleChoiceField(choices=[("1", "One"), ("2", mark_safe("<i>Two</i>"))])
    numbers = forms.TypedChoiceField(choices=[(1, "1,000"), (2, "2")], coerce=int)
    sender = forms.ModelChoiceField(queryset=Sender.objects.none(), empty_label="Any sender")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"plain": "<b>", "grouped": "2", "many": ["1", "2"], "numbers": "1"},
        {"plain": "nope", "grouped": "3"},
    ],
)
def test_select_boxes_are_djangos_own(sender, data, monkeypatch):
    built = []
    monkeypatch.setattr(
        "accounts.rendering._select", lambda widget, real=_select: built.append(1) or real(widget)
    )
    fast, reference = Form(data or None), Form(data or None)
    for form in (fast, reference):
        form.fields["sender"].queryset = Sender.objects.all()
    fast.renderer, reference.renderer = FastSelectRenderer(), DjangoTemplates()
    for name in Form.base_fields:
        assert str(fast[name]) == str(reference[name]), name
    assert len(built) == len(Form.base_fields)  # every box was built in Python
