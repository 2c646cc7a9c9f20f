from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from core.masking import mask_mobile, mask_tail

register = template.Library()

# (name, with an id, URL configuration, script prefix) -> path, or the path's two sides around the id; URLs carry
# no language (no i18n_patterns), so nothing else varies
_nav_urls: dict[tuple[str, bool, str, str], str | tuple[str, str]] = {}
_ANY_ID = 2147483647  # stands for the id while reversing: every <int:pk> pattern accepts it


@register.simple_tag
def nav_url(name: str, pk=None) -> str:
    """{% url name %} for a URL without arguments, or {% url name pk %} for one whose only argument is an integer
    id, reversed once per process: base.html's navigation reverses about thirty on every page, and a list's rows
    two or three each. Escaped on output like {% url %} (a simple tag's result is, under autoescape)."""
    key = (name, pk is not None, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    url = _nav_urls.get(key)
    if url is None:
        if pk is None:
            url = reverse(name)
        else:
            head, _, tail = reverse(name, args=[_ANY_ID]).rpartition(str(_ANY_ID))
            url = (head, tail)
        _nav_urls[key] = url
    if pk is None:
        return url
    head, tail = url
    return f"{head}{int(pk)}{tail}"


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


@register.simple_tag(takes_context=True)
def admin_allows(context, model_label: str, action: str = "view") -> bool:
    """Whether the Django admin would open `model_label`'s pages for the reader ("view" or "change"): staff, and
    the model's ModelAdmin agrees (it may refuse a county's staff what their model permissions allow). A link
    that opens a 403 page is worse than none."""
    from django.apps import apps
    from django.contrib import admin

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_active or not user.is_staff:
        return False
    model_admin = admin.site._registry.get(apps.get_model(model_label))
    if model_admin is None:
        return False
    if action == "change":
        return model_admin.has_change_permission(request)
    return model_admin.has_view_or_change_permission(request)


@register.simple_tag(takes_context=True)
def nav_section(context) -> str:
    """The one navbar section the current page belongs to, so exactly one menu item is highlighted (url names
    repeat across apps: loyalty's "home" is not the workspace, the data-quality page lives under /retailers/)."""
    match = getattr(context.get("request"), "resolver_match", None)
    if match is None:
        return ""
    namespace, name = match.namespace or "", match.url_name or ""
    if not namespace:
        return "home" if name == "home" else ""
    if namespace in ("imports", "privacy") or (
        namespace == "accounts" and (name == "quality" or name.startswith("duplicate"))
    ):
        return "data"
    if (namespace == "accounts" and (name.startswith("violation") or name == "credit-rule")) or (
        namespace == "sales" and name.startswith("allocation")
    ):
        return "supply"
    if namespace == "accounts":
        return "retailers"
    return namespace
