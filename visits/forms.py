"""Forms parse what the browser sends; the rules live in the sub-areas' services (visits.<sub-area>.services)."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sales.models import Product
from users.models import OrgUnit
from visits.models import Visit
from visits.records.services import VisitInput

YES_NO = [("", _("未检查")), ("yes", _("是")), ("no", _("否"))]
TRI = {"": None, "yes": True, "no": False}
MAX_PERIOD_DAYS = 366


def _bootstrap(form: forms.Form) -> None:
    for field in form.fields.values():
        css = (
            "form-select form-select-sm"
            if isinstance(field.widget, forms.Select)
            else "form-control form-control-sm"
        )
        field.widget.attrs.setdefault("class", css)


class VisitForm(forms.Form):
    idempotency_key = forms.UUIDField()
    latitude = forms.DecimalField(required=False, min_value=-90, max_value=90, decimal_places=6, max_digits=9)
    longitude = forms.DecimalField(
        required=False, min_value=-180, max_value=180, decimal_places=6, max_digits=9
    )
    accuracy_m = forms.IntegerField(required=False, min_value=0, max_value=100_000)
    no_location_reason = forms.CharField(required=False, max_length=200)
    checked_in_at = forms.DateTimeField(required=False)
    device_time = forms.DateTimeField(required=False)
    licence_displayed = forms.ChoiceField(choices=YES_NO, required=False, label=_("许可证悬挂"))
    minors_sign = forms.ChoiceField(choices=YES_NO, required=False, label=_("不向未成年人售烟标识"))
    price_tags = forms.ChoiceField(choices=YES_NO, required=False, label=_("明码标价"))
    display_ok = forms.ChoiceField(choices=YES_NO, required=False, label=_("陈列规范"))
    image_rating = forms.TypedChoiceField(
        choices=[("", _("未评价")), *Visit.ImageRating.choices],
        coerce=int,
        empty_value=None,
        required=False,
        label=_("店铺形象"),
    )
    notes = forms.CharField(required=False, max_length=2000, widget=forms.Textarea, label=_("走访记录"))
    next_action = forms.CharField(required=False, max_length=200, label=_("下一步"))
    follow_up_on = forms.DateField(required=False, label=_("跟进日期"))
    request_kind = forms.ChoiceField(
        choices=[("complaint", _("投诉")), ("suggestion", _("建议/诉求"))], required=False
    )
    request_category = forms.CharField(required=False, max_length=40)
    request_text = forms.CharField(required=False, max_length=1000)

    def __init__(self, *args, programmes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.programmes = list(programmes)
        for programme in self.programmes:
            self.fields[f"stock_{programme.pk}"] = forms.ChoiceField(
                choices=YES_NO, required=False, label=programme.product.name
            )

    def clean(self):
        data = super().clean()
        if data.get("request_text") and not data.get("request_category"):
            raise ValidationError({"request_category": _("请选择诉求类别。")})
        return data

    def visit_input(self) -> VisitInput:
        d = self.cleaned_data
        stock = {}
        for programme in self.programmes:
            value = TRI[d.get(f"stock_{programme.pk}") or ""]
            if value is not None:
                stock[programme.pk] = value
        return VisitInput(
            latitude=d.get("latitude"),
            longitude=d.get("longitude"),
            accuracy_m=d.get("accuracy_m"),
            no_location_reason=d.get("no_location_reason") or "",
            checked_in_at=d.get("checked_in_at"),
            device_time=d.get("device_time"),
            licence_displayed=TRI[d.get("licence_displayed") or ""],
            minors_sign=TRI[d.get("minors_sign") or ""],
            price_tags=TRI[d.get("price_tags") or ""],
            display_ok=TRI[d.get("display_ok") or ""],
            image_rating=d.get("image_rating"),
            notes=d.get("notes") or "",
            next_action=d.get("next_action") or "",
            follow_up_on=d.get("follow_up_on"),
            stock=stock,
            request_kind=d.get("request_kind") or "complaint",
            request_category=d.get("request_category") or "",
            request_text=d.get("request_text") or "",
        )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("认可")), ("reject", _("驳回"))], label=_("审核结果"))
    reason = forms.CharField(required=False, max_length=300, label=_("理由"))


class PeriodForm(forms.Form):
    day_from = forms.DateField(label=_("开始日期"))
    day_to = forms.DateField(label=_("结束日期"))

    def clean(self):
        data = super().clean()
        start, end = data.get("day_from"), data.get("day_to")
        if start and end:
            if end < start:
                raise ValidationError(_("结束日期不能早于开始日期。"))
            if (end - start).days > MAX_PERIOD_DAYS:
                raise ValidationError(_("统计区间最长一年。"))
        return data

    @classmethod
    def default_period(cls, today: datetime.date) -> dict:
        return {"day_from": today.replace(day=1), "day_to": today}


class ProgrammeForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("名称"))
    product = forms.ModelChoiceField(
        queryset=Product.objects.exclude(status=Product.Status.WITHDRAWN).order_by("brand", "name"),
        label=_("培育品规"),
    )
    org_unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), label=_("所属单位"))
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    goal_selling_retailers = forms.IntegerField(min_value=1, label=_("目标：在销客户数"))
    goal_sell_through_pct = forms.IntegerField(min_value=1, max_value=10_000, label=_("目标：动销率(%)"))
    rule_weeks = forms.IntegerField(min_value=1, max_value=52, initial=8, label=_("规则回看周数"))

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["org_unit"].queryset = units
        _bootstrap(self)


class TargetsForm(forms.Form):
    customer_codes = forms.CharField(
        label=_("客户编码"), widget=forms.Textarea(attrs={"rows": 3}), help_text=_("每行一个，或用逗号分隔。")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)

    def codes(self) -> list[str]:
        raw = self.cleaned_data["customer_codes"].replace(",", "\n").replace("，", "\n")
        return sorted({c.strip() for c in raw.splitlines() if c.strip()})
