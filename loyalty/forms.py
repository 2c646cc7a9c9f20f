"""Forms of the loyalty pages (input parsing only; the rules are in the services)."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from loyalty.rewards.services import MAX_QUANTITY


class RedeemForm(forms.Form):
    reward = forms.IntegerField(label=_("礼品"), min_value=1, error_messages={"required": _("请选择礼品。")})
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=MAX_QUANTITY, initial=1)
    # a fresh key rendered with the form: submitting it twice (a double tap, a resent request) redeems once
    idempotency_key = forms.CharField(max_length=100, widget=forms.HiddenInput)


class ReferralForm(forms.Form):
    licence_no = forms.CharField(
        label=_("新店许可证号"),
        max_length=12,
        validators=[RegexValidator(r"^\d{12}$", _("许可证号应为 12 位数字。"))],
    )
