"""The form a request is registered with: which retailer (by customer code, within the user's territory), what
kind, how it came in, and for a correction the corrected values (blank = unchanged)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from privacy.models import PrivacyRequest
from privacy.services import CORRECTABLE_FIELDS

CORRECTION_LABELS = {
    "owner_name": _("负责人（更正为）"),
    "owner_id_number": _("身份证号（更正为）"),
    "owner_birthday": _("负责人生日（更正为）"),
    "mobile": _("手机号（更正为）"),
    "email": _("电子邮箱（更正为）"),
    "bank_account": _("银行账号（更正为）"),
    "address": _("经营地址（更正为）"),
}


class PrivacyRequestForm(forms.Form):
    customer_code = forms.CharField(label=_("客户编码"), max_length=20)
    kind = forms.ChoiceField(label=_("请求类型"), choices=PrivacyRequest.Kind.choices)
    channel = forms.ChoiceField(label=_("受理渠道"), choices=PrivacyRequest.Channel.choices)
    received_at = forms.DateTimeField(
        label=_("受理时间"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    details = forms.CharField(label=_("请求说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in CORRECTABLE_FIELDS:
            self.fields[f"new_{name}"] = forms.CharField(
                label=CORRECTION_LABELS[name], required=False, max_length=200
            )

    def corrections(self) -> dict:
        data = self.cleaned_data
        return {
            name: data[f"new_{name}"].strip()
            for name in CORRECTABLE_FIELDS
            if data.get(f"new_{name}", "").strip()
        }


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("拒绝理由（将告知客户）"), max_length=300)
