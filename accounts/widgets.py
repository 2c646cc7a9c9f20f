"""Form widgets for pages that render long choice lists on every request."""

import html

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe


class FastSelect(forms.Select):
    """A single-choice <select> that writes exactly the HTML of Django's Select, built in Python instead of
    one template include per option: an admin's route filter lists thousands of routes on every list page."""

    def render(self, name, value, attrs=None, renderer=None):
        choices = list(
            iter(self.choices)
        )  # iter(): list() would ask a ModelChoiceIterator for len(), a COUNT
        if any(isinstance(label, (list, tuple)) for _value, label in choices):
            return super().render(name, value, attrs, renderer)  # option groups: Django's own rendering
        wanted = set(self.format_value(value))
        parts = [f'<select name="{conditional_escape(name)}"{_attrs(self.build_attrs(self.attrs, attrs))}>']
        has_selected = False
        for option_value, label in choices:
            option_value = "" if option_value is None else str(option_value)
            selected = not has_selected and option_value in wanted
            has_selected |= selected
            parts.append(
                f'\n  <option value="{_escape(option_value)}"{" selected" if selected else ""}>'
                f"{_escape(label)}</option>\n"
            )
        parts.append("\n</select>")  # the form renderer strips the template's final newline
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def _escape(text) -> str:
    """conditional_escape, without its lazy-string wrapper for a plain str (the thousands of option labels): Django's
    escape is html.escape, and a plain str has no __html__ of its own."""
    return html.escape(text) if type(text) is str else conditional_escape(text)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: `name="value"`, a bare `name` for True, nothing for False."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )
