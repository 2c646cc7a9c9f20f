"""Forms of the complaint pages: parse and present; rules live in feedback.complaints.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from feedback.appeals.models import TIER_APPEAL_CATEGORY
from feedback.complaints.models import Complaint, ComplaintCategory, Priority
from sales.models import Order, Product
from users.models import User

RECENT_ORDERS = 12

STAFF_CHANNELS = [
    (Complaint.Channel.PHONE, Complaint.Channel.PHONE.label),
    (Complaint.Channel.HOTLINE, Complaint.Channel.HOTLINE.label),
    (Complaint.Channel.VISIT, Complaint.Channel.VISIT.label),
    (Complaint.Channel.PLATFORM, Complaint.Channel.PLATFORM.label),
]


class _CategoryField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            # tier appeals are filed through their own form (feedback.appeals.services), which records the tier
            queryset=ComplaintCategory.objects.filter(is_active=True).exclude(code=TIER_APPEAL_CATEGORY),
            to_field_name="code",
            label=_("类别"),
            empty_label=_("请选择"),
            **kwargs,
        )


class PublicComplaintForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=Complaint.Kind.choices,
        initial=Complaint.Kind.COMPLAINT,
        widget=forms.RadioSelect,
    )
    category = _CategoryField()
    description = forms.CharField(
        label=_("问题描述"),
        max_length=2000,
        min_length=5,
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": _("请写明时间、品规、订单等，方便我们尽快处理。")}
        ),
    )
    photo = forms.FileField(
        label=_("照片（可选）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("JPEG、PNG 或 WebP，不超过 5 MB。"),
    )


class StaffComplaintForm(forms.Form):
    retailer_id = forms.IntegerField(widget=forms.HiddenInput)
    channel = forms.ChoiceField(label=_("渠道"), choices=STAFF_CHANNELS)
    kind = forms.ChoiceField(
        label=_("类型"), choices=Complaint.Kind.choices, initial=Complaint.Kind.COMPLAINT
    )
    category = _CategoryField()
    priority = forms.ChoiceField(
        label=_("优先级"), choices=[("", _("按类别默认")), *Priority.choices], required=False
    )
    description = forms.CharField(label=_("内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    product = forms.ModelChoiceField(
        label=_("涉及品规（可选）"), queryset=Product.objects.none(), required=False
    )
    order = forms.ModelChoiceField(label=_("涉及订单（可选）"), queryset=Order.objects.none(), required=False)
    photo = forms.FileField(label=_("照片（可选）"), required=False)

    def __init__(self, *args, retailer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.exclude(status=Product.Status.WITHDRAWN).order_by(
            "brand", "name"
        )
        if retailer is not None:
            recent = (
                Order.objects.filter(retailer=retailer)
                .order_by("-ordered_on", "-id")
                .values("pk")[:RECENT_ORDERS]
            )
            self.fields["order"].queryset = Order.objects.filter(pk__in=recent).order_by("-ordered_on", "-id")
            self.fields["order"].label_from_instance = lambda o: (
                f"{o.ordered_on:%Y-%m-%d} {o.order_no}（{o.cartons} 条）"
            )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("满意度"),
        coerce=int,
        choices=[(5, _("非常满意")), (4, _("满意")), (3, _("一般")), (2, _("不满意")), (1, _("非常不满意"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("意见（可选）"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("处理人"),
        queryset=User.objects.none(),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args, assignees=None, **kwargs):
        super().__init__(*args, **kwargs)
        if assignees is not None:
            self.fields["assignee"].queryset = assignees
