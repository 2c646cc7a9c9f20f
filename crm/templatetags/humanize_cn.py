"""Number formats a Chinese reader expects: 万 for large amounts, yuan from fen."""

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def wan(value):
    """12345 -> 1.2万; below 10,000 unchanged."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    if abs(number) >= 10000:
        if not (get_language() or "zh").startswith("zh"):  # 万 means nothing in English: 12.3k, 1.2M
            return f"{number / 1_000_000:,.1f}M" if abs(number) >= 1_000_000 else f"{number / 1000:,.1f}k"
        return f"{number / 10000:.1f}万"
    return f"{number:,.0f}"


@register.filter
def fen_to_yuan(value):
    try:
        return f"{int(value) / 100:,.2f}"
    except (TypeError, ValueError):
        return value
