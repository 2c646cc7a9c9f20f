from django import template

from core.masking import mask_mobile, mask_tail

register = template.Library()


@register.filter(name="abs")
def absolute(value):
    try:
        return abs(value)
    except TypeError:
        return value


@register.filter
def masked_mobile(value):
    return mask_mobile(value or "")


@register.filter
def masked_tail(value):
    return mask_tail(value or "")


@register.filter
def add_class_form(bound_field):
    """Render a form field's widget with Bootstrap's small control classes."""
    widget = bound_field.field.widget
    is_select = getattr(widget, "input_type", "") == "select" or "Select" in widget.__class__.__name__
    css = "form-select form-select-sm" if is_select else "form-control form-control-sm"
    return bound_field.as_widget(attrs={"class": css})
