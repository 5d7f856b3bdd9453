"""Model choices read once per form: the options and the check of the choice made.

Django's ``ModelChoiceField`` runs its queryset twice on a search page: once to
check the value in the URL (``queryset.get(pk=...)``) and once more to list the
options, through ``QuerySet.iterator()``, which on PostgreSQL is a server-side
cursor (DECLARE, FETCH, CLOSE). The filter forms of the list pages offer a
select of the organization's channels on every request; ``ListedModelChoiceFilter``
reads them with one query and answers both from that list.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters import fields as filter_fields


class _FromList(forms.models.ModelChoiceIterator):
    """Django's iterator over the field's list instead of a new query."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.field.listed():
            yield self.choice(obj)

    def __len__(self):
        return len(self.field.listed()) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self.field.listed())


class ListedIterator(filter_fields.ModelChoiceIterator, _FromList):
    """django-filter's iterator (its "null" option) over the field's list."""


class ListedModelChoiceField(filter_fields.ModelChoiceField):
    """django-filter's ``ModelChoiceField`` with its queryset read once per form."""

    iterator = ListedIterator

    def _set_queryset(self, queryset):
        self._listed = None
        super()._set_queryset(queryset)

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def listed(self) -> list:
        if self._listed is None:
            self._listed = list(self.queryset)
        return self._listed

    def to_python(self, value):
        """What ``ModelChoiceField.to_python`` answers, looked up in the list."""
        if self.null_label is not None and value == self.null_value:
            return value
        if value in self.empty_values:
            return None
        self.validate_no_null_characters(value)
        model = self.queryset.model
        key = self.to_field_name or "pk"
        if isinstance(value, model):
            value = getattr(value, key)
        field = model._meta.pk if key == "pk" else model._meta.get_field(key)
        try:
            wanted = field.to_python(value)
        except ValidationError:
            wanted = None
        if wanted is not None:
            for obj in self.listed():
                if getattr(obj, key) == wanted:
                    return obj
        raise ValidationError(
            self.error_messages["invalid_choice"],
            code="invalid_choice",
            params={"value": value},
        )


class ListedModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = ListedModelChoiceField
