"""Browser forms of the survey side. They parse input and hand it to feedback.surveys.services.surveys."""

import secrets

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from feedback.surveys.models import QuestionArea, QuestionItem, Questionnaire, Survey
from segmentation.segments.selectors import segment_list, segment_units_usable


def current_quarter() -> str:
    today = timezone.localdate()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


class SurveyForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = [
            "name",
            "questionnaire",
            "period",
            "org_unit",
            "segment",
            "allocation",
            "sample_size",
            "min_per_stratum",
            "per_stratum",
            "seed",
        ]
        widgets = {"allocation": forms.RadioSelect}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["questionnaire"].queryset = Questionnaire.objects.filter(
            state=Questionnaire.State.PUBLISHED
        )
        self.fields["org_unit"].queryset = segment_units_usable(user=user)
        self.fields["segment"].queryset = segment_list(user=user)
        if not self.is_bound:
            self.initial.setdefault("period", current_quarter())
            self.initial.setdefault("seed", secrets.token_hex(4))
            self.initial.setdefault("sample_size", 300)
            self.initial.setdefault("min_per_stratum", 5)
            self.initial.setdefault("per_stratum", 20)
            published = self.fields["questionnaire"].queryset.order_by("-published_at").first()
            if published is not None:
                self.initial.setdefault("questionnaire", published.pk)
            if user.org_unit_id:
                self.initial.setdefault("org_unit", user.org_unit_id)
        for name in ("sample_size", "min_per_stratum", "per_stratum"):
            self.fields[name].required = False

    def _post_clean(self):
        """The service validates the whole survey; the form only parses."""


class InviteForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("邀请活动"), queryset=Campaign.objects.none())

    def __init__(self, *args, survey: Survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.filter(
            state=Campaign.State.APPROVED,
            parent__isnull=True,
            journey__isnull=True,
            org_unit__path__in=_ancestor_paths(survey.org_unit.path),
        ).order_by("-id")
        self.fields["campaign"].help_text = Survey._meta.get_field("campaign").help_text


def _ancestor_paths(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return [f"/{'/'.join(parts[:i])}/" for i in range(1, len(parts) + 1)]


class AreaForm(forms.ModelForm):
    class Meta:
        model = QuestionArea
        fields = ["name", "weight"]

    def _post_clean(self):
        pass


class ItemForm(forms.ModelForm):
    choices_text = forms.CharField(
        label=_("选项"),
        required=False,
        help_text=_("单选题：每行一个选项。"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = QuestionItem
        fields = ["text", "kind", "required"]

    def _post_clean(self):
        pass

    def choices(self) -> list[str]:
        return [
            line.strip() for line in self.cleaned_data.get("choices_text", "").splitlines() if line.strip()
        ]


class QuestionnaireForm(forms.ModelForm):
    class Meta:
        model = Questionnaire
        fields = ["code", "name", "intro"]

    def _post_clean(self):
        pass
