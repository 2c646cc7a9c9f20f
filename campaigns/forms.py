"""Browser forms for outreach. They parse input and hand it to campaigns.services; the rules live there."""

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.calendar import HOLIDAY_NAMES
from campaigns.models import Campaign, Journey, MessageTemplate
from campaigns.selectors import template_list
from sales.models import Product
from segmentation.segments.selectors import segment_list

DATETIME_INPUT = forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})
TIME_INPUT = forms.TimeInput(format="%H:%M", attrs={"type": "time"})


class CampaignForm(forms.ModelForm):
    link_url = forms.URLField(
        label=_("活动链接"),
        required=False,
        assume_scheme="https",
        help_text=Campaign._meta.get_field("link_url").help_text,
    )
    promoted_products = forms.ModelMultipleChoiceField(
        label=_("推广品规"),
        queryset=Product.objects.exclude(status=Product.Status.WITHDRAWN).order_by("brand", "name"),
        required=False,
        # static/js/picker.js turns it into a searchable picker (the plain list still works without scripts)
        widget=forms.SelectMultiple(
            attrs={"size": 6, "data-picker": "1", "data-picker-placeholder": _("搜索品规")}
        ),
        help_text=_("转化 = 发送后 N 天内订购了其中任一品规；不选则不统计转化"),
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "description",
            "segment",
            "channel",
            "template",
            "purpose",
            "schedule_kind",
            "send_at",
            "cron",
            "holdout_pct",
            "quiet_start",
            "quiet_end",
            "link_url",
            "conversion_days",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "send_at": DATETIME_INPUT,
            "quiet_start": TIME_INPUT,
            "quiet_end": TIME_INPUT,
            "cron": forms.TextInput(attrs={"placeholder": "0 9 * * 1", "class": "font-monospace"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = segment_list(user=user)
        self.fields["segment"].required = True
        self.fields["template"].queryset = template_list(user=user).filter(is_active=True)
        if self.instance.pk:
            self.fields["promoted_products"].initial = list(self.instance.promoted_products.all())

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def template_texts(self) -> dict:
        """The offered templates' texts by id, for the editor's live message preview (one query)."""
        return {
            str(t["id"]): t
            for t in self.fields["template"].queryset.values("id", "channel", "subject", "body", "html_body")
        }


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["name", "channel", "subject", "body", "html_body", "is_active"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 5, "data-sms-counter": "1"}),
            "html_body": forms.Textarea(attrs={"rows": 6, "class": "font-monospace"}),
        }

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class JourneyForm(forms.ModelForm):
    holidays = forms.MultipleChoiceField(
        label=_("问候的节日"),
        choices=list(HOLIDAY_NAMES.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    segment = forms.ModelChoiceField(
        label=_("通知的客群"),
        queryset=None,
        required=False,
        help_text=_("不选则通知本单位全部正常经营的客户"),
    )
    weekday = forms.TypedChoiceField(
        label=_("每周发送日"),
        coerce=int,
        choices=[
            (1, _("周一")),
            (2, _("周二")),
            (3, _("周三")),
            (4, _("周四")),
            (5, _("周五")),
            (6, _("周六")),
            (7, _("周日")),
        ],
        required=False,
        help_text=_("告知下一订货周期（下周一起）的紧俏货源额度"),
    )
    days = forms.CharField(
        label=_("提前天数"),
        required=False,
        help_text=_("用逗号分隔，例如 90,60,30"),
    )

    class Meta:
        model = Journey
        fields = ["enabled", "channel", "template", "send_time", "holdout_pct"]
        widgets = {"send_time": TIME_INPUT}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = template_list(user=user).filter(is_active=True)
        params = self.instance.params or {}
        if self.instance.kind == Journey.Kind.HOLIDAY:
            self.fields["holidays"].initial = params.get("holidays", [])
        else:
            del self.fields["holidays"]
        if self.instance.kind == Journey.Kind.LICENCE_EXPIRY:
            self.fields["days"].initial = ",".join(str(d) for d in params.get("days", []))
        else:
            del self.fields["days"]
        if self.instance.kind == Journey.Kind.SUPPLY_NOTICE:
            self.fields["weekday"].initial = params.get("weekday", 5)
        else:
            del self.fields["weekday"]
        if self.instance.kind == Journey.Kind.NEW_PRODUCT:
            self.fields["segment"].queryset = segment_list(user=user)
            self.fields["segment"].initial = params.get("segment")
        else:
            del self.fields["segment"]

    def clean_days(self):
        raw = self.cleaned_data.get("days") or ""
        try:
            return [int(part) for part in raw.replace("，", ",").split(",") if part.strip()]
        except ValueError as exc:
            raise forms.ValidationError(_("请填写整数天数，例如 90,60,30。")) from exc

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        params = dict(self.instance.params or {})
        if "holidays" in self.fields:
            params["holidays"] = self.cleaned_data["holidays"]
        if "days" in self.fields:
            params["days"] = self.cleaned_data["days"]
        if "weekday" in self.fields:
            params["weekday"] = self.cleaned_data["weekday"] or 5
        if "segment" in self.fields:
            segment = self.cleaned_data["segment"]
            params["segment"] = segment.pk if segment else None
        data["params"] = params
        return data
