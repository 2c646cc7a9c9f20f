"""The violation record form: parses input (fine in yuan → fen); the rules live in the model and the service."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.compliance.models import Violation


class ViolationForm(forms.Form):
    occurred_on = forms.DateField(
        label=_("违规日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    type = forms.ChoiceField(label=_("违规类型"), choices=Violation.Type.choices)
    penalty = forms.ChoiceField(label=_("处罚"), choices=Violation.Penalty.choices)
    fine_yuan = forms.CharField(
        label=_("罚款金额(元)"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    suspension_days = forms.IntegerField(label=_("停业天数"), required=False, min_value=1, max_value=365)
    source = forms.ChoiceField(label=_("来源"), choices=Violation.Source.choices)
    notes = forms.CharField(
        label=_("说明"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, manager: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if manager:
            self.fields["source"].choices = [(Violation.Source.VISIT, Violation.Source.VISIT.label)]

    def clean_fine_yuan(self):
        raw = (self.cleaned_data.get("fine_yuan") or "").strip()
        if not raw:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError(_("请填写金额，例如 500 或 500.50。")) from None
        if not value.is_finite() or value.adjusted() > 9:  # NaN, Infinity, 1e999999: not an amount
            raise forms.ValidationError(_("请填写金额，例如 500 或 500.50。"))
        if value <= 0 or value != value.quantize(Decimal("0.01")):
            raise forms.ValidationError(_("金额须大于 0，最多两位小数。"))
        return int(value * 100)

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["fine_fen"] = data.pop("fine_yuan")
        return data


class VoidForm(forms.Form):
    void_reason = forms.CharField(label=_("作废原因"), max_length=200)
