from django import forms
from django.utils.translation import gettext_lazy as _

from cockpit.kpis import kpi_choices
from cockpit.models import KpiTarget


class KpiTargetForm(forms.ModelForm):
    kpi = forms.ChoiceField(label=_("指标"), choices=())

    class Meta:
        model = KpiTarget
        fields = ["org_unit", "kpi", "period", "value", "amber_margin_pct", "starts_on", "ends_on"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }
        help_texts = {
            "value": _("比率填百分数（如 85 表示 85%），金额填元，单条值填元/条，其余填数量。"),
        }

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi"].choices = kpi_choices()
        if units is not None:
            self.fields["org_unit"].queryset = units


class ReportGenerateForm(forms.Form):
    org_unit = forms.ModelChoiceField(label=_("单位"), queryset=None)
    month = forms.DateField(
        label=_("月份"), widget=forms.DateInput(attrs={"type": "month"}), input_formats=["%Y-%m", "%Y-%m-%d"]
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units
