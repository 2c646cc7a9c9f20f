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


@register.inclusion_tag("includes/licence_state.html")
def licence_badge(retailer=None, *, status="valid", status_label="", expires_on=None, prefix=""):
    """The licence's state in words and colour, the same on every page (accounts.licence). Pass a retailer, or
    its licence_status, the status label and the expiry date (rows read as values)."""
    from accounts.licence import licence_state, retailer_licence_state

    if retailer is not None:
        state = retailer_licence_state(retailer)
    else:
        state = licence_state(status=status, status_label=status_label, expires_on=expires_on)
    return {"state": state, "prefix": prefix}


@register.filter
def licence_state(retailer):
    """The LicenceState of a retailer (code, tone, label, days) for templates that lay it out themselves."""
    from accounts.licence import retailer_licence_state

    return retailer_licence_state(retailer)
