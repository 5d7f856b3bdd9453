"""The form renderer: Django's templates, except for the select box, built in Python.

Django renders a ``<select>`` through one template include per option: the filter
forms of the search pages (a select of every channel, of every status) cost about
a third of an empty Message Lookup page. ``FastSelectRenderer`` writes the same
HTML as ``django/forms/widgets/select.html`` (a test compares both, byte for byte)
and leaves every other template to Django.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


class FastSelectRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name == SELECT and _plain(context["widget"]):
            return mark_safe(_select(context["widget"]))  # noqa: S308 (every value escaped)
        return super().render(template_name, context, request)


def _plain(widget: dict) -> bool:
    """Options of Django's own template, with text labels (a number or a date as a
    label would be localised by the template)."""
    return all(
        option["template_name"] == OPTION and isinstance(option["label"], str)
        for _name, options, _index in widget["optgroups"]
        for option in options
    )


def _text(value) -> str:
    """``{{ value|stringformat:'s' }}``: escaped unless already safe."""
    text = "%s" % (value,)  # noqa: UP031 (as the filter formats it)
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: dict) -> str:
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        name = conditional_escape(name)
        parts.append(f" {name}" if value is True else f' {name}="{_text(value)}"')
    return "".join(parts)


def _select(widget: dict) -> str:
    html = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            html.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            html.append(
                f'\n  <option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
                f"{conditional_escape(option['label'])}</option>\n"  # the template's last line
            )
        if group_name:
            html.append("\n  </optgroup>")
    html.append("\n</select>")
    return "".join(html)
