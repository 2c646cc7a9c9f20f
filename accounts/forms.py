"""Browser forms for retailers. They parse input and hand it to accounts.services; the rules live there."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.core import validators
from django.utils.translation import gettext_lazy as _

from accounts.models import ConsentEvent, Retailer
from accounts.services import CREATE_FIELDS, EDITABLE_FIELDS, LOCKED_FIELDS, starting_tier_cap
from users.selectors import org_units_visible, route_scope

# How long an identifier may be as typed, before the service normalises it (as in the API's serializer).
TYPED_MAX_LENGTHS = {"licence_no": 14, "mobile": 20, "owner_id_number": 20}

FIELD_GROUPS = (
    (
        _("店铺"),
        ("shop_name", "customer_code", "address", "latitude", "longitude", "shop_area_m2", "is_night_shop"),
    ),
    (_("负责人"), ("owner_name", "mobile", "email", "owner_id_number", "owner_birthday")),
    (_("许可证"), ("licence_no", "licence_status", "licence_issued_on", "licence_expires_on")),
    (_("分类"), ("market_type", "business_format", "scale", "tier", "credit_grade", "status")),
    (
        _("服务与订货"),
        (
            "org_unit",
            "route",
            "delivery_route",
            "order_weekday",
            "order_channel",
            "payment_method",
            "bank_account",
        ),
    ),
)


class RetailerForm(forms.ModelForm):
    updated_at_seen = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Retailer
        fields = [*EDITABLE_FIELDS, *LOCKED_FIELDS]  # the locked ones shown read-only (see __init__)
        widgets = {
            # <input type="date"> accepts only ISO dates; the zh-hans locale format (2022/01/02) shows blank.
            "licence_issued_on": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            "licence_expires_on": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            "owner_birthday": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            "licence_no": forms.TextInput(
                attrs={"inputmode": "numeric", "maxlength": 14, "autocomplete": "off"}
            ),
            "mobile": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }
        help_texts = {
            "licence_no": _(
                "12 位：前 6 位为行政区划代码，第 7 位为持证人类型（1 个体、2 企业），后 5 位为流水号。"
            ),
            "mobile": _("11 位手机号，可带 +86。"),
        }

    def __init__(self, *args, user, reveal_sensitive: bool, reveal_contact: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = org_units_visible(user=user).filter(kind="department")
        self.fields["route"].queryset = route_scope(user=user)
        # Identifiers may be typed with spaces, dashes or +86 (the service normalises them), so the form bounds
        # the typed length only. The model's max_length validator is already attached to the field and has to
        # be swapped, not just the attribute.
        for name, limit in TYPED_MAX_LENGTHS.items():
            field = self.fields[name]
            field.max_length = limit
            field.widget.attrs["maxlength"] = str(limit)
            field.validators = [
                v for v in field.validators if not isinstance(v, validators.MaxLengthValidator)
            ] + [validators.MaxLengthValidator(limit)]
        # Sensitive values are never sent to a browser that may not see them: the field is left out.
        if not reveal_sensitive:
            for name in ("owner_id_number", "bank_account"):
                del self.fields[name]
        if not reveal_contact and self.instance.pk:
            del self.fields[
                "mobile"
            ]  # an existing number is not shown to, nor changed by, who may not see it
        # The tier and the credit grade have their own engines: shown, never taken from the post (a disabled
        # field keeps its initial value whatever is posted). A new retailer may be given its starting tier.
        for name, where in LOCKED_FIELDS.items():
            if self.instance.pk or name not in CREATE_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = where
        if not self.instance.pk:
            self.fields["tier"].help_text = _("新客户起始档位最高 %(cap)s 档；建档后只能经档位评定修改。") % {
                "cap": starting_tier_cap()
            }
        if self.instance.pk:
            self.fields["updated_at_seen"].initial = self.instance.updated_at.isoformat()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            *[
                Fieldset(
                    title,
                    Row(
                        *[Column(name, css_class="col-12 col-md-6") for name in names if name in self.fields]
                    ),
                )
                for title, names in FIELD_GROUPS
            ],
            "updated_at_seen",
        )

    def _post_clean(self):
        # Model validation runs in the service (accounts.services.retailer_validate) with the user's scope.
        pass

    def service_data(self) -> dict:
        writable = EDITABLE_FIELDS if self.instance.pk else CREATE_FIELDS
        return {
            name: self.cleaned_data[name]
            for name, field in self.fields.items()
            if name in writable and not field.disabled
        }


class ConsentForm(forms.Form):
    channel = forms.ChoiceField(choices=ConsentEvent.Channel.choices)
    granted = forms.TypedChoiceField(choices=[("1", _("同意")), ("0", _("撤回"))], coerce=lambda v: v == "1")
    source = forms.CharField(label=_("来源"), max_length=50)
