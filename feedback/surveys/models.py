"""Satisfaction surveys: a versioned questionnaire (areas with weights, items), a survey drawn as a stratified
sample of a segment, one invitation per sampled retailer, at most one response per invitation.

The rules the database keeps on its own:
- a questionnaire is frozen once published (services refuse edits; a change is a new version of the same code),
  so every answer matches the question it was given for;
- one stratum per (survey, format, scale, market type); one invitation per (survey, retailer); one response per
  invitation; one answer per (response, item); one area score per (response, area);
- an invitation's sampling weight is its stratum's population ÷ sample (> 0)."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer

PERIOD_RE = re.compile(r"^(20\d\d)Q([1-4])$")


class Questionnaire(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        RETIRED = "retired", _("已停用")

    code = models.SlugField(_("问卷代码"), max_length=40, help_text=_("同一问卷的各个版本共用此代码。"))
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    name = models.CharField(_("名称"), max_length=100)
    intro = models.TextField(_("开头语"), blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("调查问卷")
        verbose_name_plural = _("调查问卷")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="questionnaire_version_once"),
            # one draft at a time per questionnaire, so two editors never fork it
            models.UniqueConstraint(
                fields=["code"], condition=Q(state="draft"), name="questionnaire_one_draft"
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(published_at__isnull=False),
                name="questionnaire_published_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.state != self.State.DRAFT


class QuestionArea(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("问卷"), on_delete=models.CASCADE, related_name="areas"
    )
    name = models.CharField(_("评价领域"), max_length=50)
    weight = models.PositiveSmallIntegerField(
        _("权重"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("评价领域")
        verbose_name_plural = _("评价领域")
        ordering = ["questionnaire", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "name"], name="question_area_name_once"),
            models.CheckConstraint(condition=Q(weight__gte=1), name="question_area_weight_positive"),
        ]

    def __str__(self):
        return self.name


class QuestionItem(models.Model):
    class Kind(models.TextChoices):
        SCALE5 = "scale5", _("1–5 分")
        SCALE10 = "scale10", _("1–10 分")
        NPS = "nps", _("推荐度 0–10（NPS）")
        TEXT = "text", _("文字")
        CHOICE = "choice", _("单选")

    # (lowest, highest) of the kinds answered with a number
    RANGES = {Kind.SCALE5: (1, 5), Kind.SCALE10: (1, 10), Kind.NPS: (0, 10)}
    SCORED = (Kind.SCALE5, Kind.SCALE10)

    area = models.ForeignKey(
        QuestionArea, verbose_name=_("评价领域"), on_delete=models.CASCADE, related_name="items"
    )
    text = models.CharField(_("题目"), max_length=200)
    kind = models.CharField(_("题型"), max_length=10, choices=Kind.choices, default=Kind.SCALE5)
    required = models.BooleanField(_("必答"), default=True)
    choices = models.JSONField(
        _("选项"), default=list, blank=True, help_text=_("单选题的选项，每项一个字符串。")
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("调查题目")
        verbose_name_plural = _("调查题目")
        ordering = ["area__position", "position", "id"]

    def __str__(self):
        return self.text

    def clean(self):
        choices = self.choices or []
        if self.kind == self.Kind.CHOICE:
            if (
                not isinstance(choices, list)
                or len(choices) < 2
                or not all(isinstance(c, str) and c.strip() for c in choices)
            ):
                raise ValidationError({"choices": _("单选题至少需要两个选项。")})
            if len(set(choices)) != len(choices):
                raise ValidationError({"choices": _("选项不能重复。")})
        elif choices:
            raise ValidationError({"choices": _("只有单选题有选项。")})

    @property
    def range(self) -> tuple[int, int] | None:
        return self.RANGES.get(self.kind)


class Survey(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SAMPLED = "sampled", _("已抽样")
        FIELDWORK = "fieldwork", _("调查中")
        CLOSED = "closed", _("已结束")

    class Allocation(models.TextChoices):
        PROPORTIONAL = "proportional", _("按比例分配（设每层最少样本）")
        FIXED = "fixed", _("每层固定样本数")

    name = models.CharField(_("名称"), max_length=100)
    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("问卷"), on_delete=models.PROTECT, related_name="surveys"
    )
    period = models.CharField(_("季度"), max_length=6, help_text=_("如 2026Q4"))
    org_unit = models.ForeignKey(
        "users.OrgUnit", verbose_name=_("调查范围"), on_delete=models.PROTECT, related_name="+"
    )
    segment = models.ForeignKey(
        "segmentation.Segment",
        verbose_name=_("抽样总体（客户分群）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    allocation = models.CharField(
        _("样本分配"), max_length=15, choices=Allocation.choices, default=Allocation.PROPORTIONAL
    )
    sample_size = models.PositiveIntegerField(
        _("总样本量"), default=0, help_text=_("按比例分配时的总样本量。")
    )
    min_per_stratum = models.PositiveSmallIntegerField(_("每层最少样本"), default=2)
    per_stratum = models.PositiveSmallIntegerField(
        _("每层样本数"), default=0, help_text=_("固定分配时每层抽取的数量。")
    )
    seed = models.CharField(_("随机种子"), max_length=32, help_text=_("同一种子、同一总体，抽出的样本相同。"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name=_("邀请活动"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("已审批的短信/邮件活动，模板中含 {{ survey_url }}；邀请和提醒作为它的批次发送。"),
    )
    reminder_count = models.PositiveSmallIntegerField(_("已提醒次数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sampled_at = models.DateTimeField(_("抽样时间"), null=True, blank=True)
    invited_at = models.DateTimeField(_("邀请时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("满意度调查")
        verbose_name_plural = _("满意度调查")
        ordering = ["-period", "-id"]
        permissions = [("run_survey", _("开展满意度调查")), ("export_survey", _("导出调查结果"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(period__regex=r"^20[0-9]{2}Q[1-4]$"), name="survey_period_is_quarter"
            ),
            models.CheckConstraint(
                condition=~Q(allocation="fixed") | Q(per_stratum__gte=1), name="survey_fixed_has_size"
            ),
            models.CheckConstraint(
                condition=~Q(allocation="proportional") | Q(sample_size__gte=1),
                name="survey_proportional_has_size",
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.period}）"

    def clean(self):
        if not PERIOD_RE.match(self.period or ""):
            raise ValidationError({"period": _("季度的格式为“2026Q4”。")})
        if self.allocation == self.Allocation.FIXED and not self.per_stratum:
            raise ValidationError({"per_stratum": _("请填写每层样本数。")})
        if self.allocation == self.Allocation.PROPORTIONAL and not self.sample_size:
            raise ValidationError({"sample_size": _("请填写总样本量。")})
        if not (self.seed or "").strip():
            raise ValidationError({"seed": _("请填写随机种子。")})


class SurveyStratum(models.Model):
    survey = models.ForeignKey(
        Survey, verbose_name=_("调查"), on_delete=models.CASCADE, related_name="strata"
    )
    business_format = models.CharField(_("业态"), max_length=1, choices=Retailer.BusinessFormat.choices)
    scale = models.CharField(_("规模"), max_length=1, choices=Retailer.Scale.choices)
    market_type = models.CharField(_("市场类型"), max_length=1, choices=Retailer.MarketType.choices)
    population = models.PositiveIntegerField(_("总体数"))
    sample_size = models.PositiveIntegerField(_("样本数"))

    class Meta:
        verbose_name = _("抽样分层")
        verbose_name_plural = _("抽样分层")
        ordering = ["survey", "business_format", "scale", "market_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "business_format", "scale", "market_type"], name="survey_stratum_once"
            ),
            models.CheckConstraint(
                condition=Q(sample_size__lte=models.F("population")), name="stratum_sample_le_population"
            ),
        ]

    def __str__(self):
        return self.code

    @property
    def code(self) -> str:
        return f"{self.market_type}{self.business_format}{self.scale}"

    @property
    def weight(self) -> float | None:
        return self.population / self.sample_size if self.sample_size else None


class SurveyInvitation(models.Model):
    survey = models.ForeignKey(
        Survey, verbose_name=_("调查"), on_delete=models.CASCADE, related_name="invitations"
    )
    retailer = models.ForeignKey(
        Retailer, verbose_name=_("零售客户"), on_delete=models.CASCADE, related_name="survey_invitations"
    )
    stratum = models.ForeignKey(
        SurveyStratum, verbose_name=_("分层"), on_delete=models.CASCADE, related_name="+"
    )
    weight = models.FloatField(_("抽样权重"), help_text=_("该层总体数 ÷ 样本数。"))
    created_at = models.DateTimeField(_("抽中时间"), default=timezone.now)
    invited_at = models.DateTimeField(_("邀请时间"), null=True, blank=True)
    last_reminded_at = models.DateTimeField(_("最近提醒"), null=True, blank=True)
    answered_at = models.DateTimeField(_("答卷时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("调查邀请")
        verbose_name_plural = _("调查邀请")
        ordering = ["survey", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "retailer"], name="survey_invitation_once"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="survey_invitation_weight_positive"),
        ]
        indexes = [models.Index(fields=["retailer", "answered_at"], name="survey_inv_retailer_open")]

    def __str__(self):
        return f"{self.survey_id}:{self.retailer_id}"


class SurveyResponse(models.Model):
    # The one definition of a low survey answer (overall score 0–100 below this): the "low" filter of the
    # responses page, the hidden-complaints source and the manager's call-back list, and the red figures.
    LOW_SCORE = 60

    invitation = models.OneToOneField(
        SurveyInvitation, verbose_name=_("邀请"), on_delete=models.CASCADE, related_name="response"
    )
    survey = models.ForeignKey(
        Survey, verbose_name=_("调查"), on_delete=models.CASCADE, related_name="responses"
    )
    retailer = models.ForeignKey(
        Retailer, verbose_name=_("零售客户"), on_delete=models.CASCADE, related_name="+"
    )
    weight = models.FloatField(_("抽样权重"))
    overall_score = models.FloatField(_("综合得分"), null=True, blank=True)
    nps_value = models.PositiveSmallIntegerField(_("推荐度"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("调查答卷")
        verbose_name_plural = _("调查答卷")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(overall_score__isnull=True) | Q(overall_score__gte=0, overall_score__lte=100),
                name="survey_response_score_0_100",
            ),
            models.CheckConstraint(
                condition=Q(nps_value__isnull=True) | Q(nps_value__lte=10), name="survey_response_nps_0_10"
            ),
        ]

    def __str__(self):
        return f"{self.survey_id}:{self.retailer_id}"

    @property
    def score_is_low(self) -> bool:
        return self.overall_score is not None and self.overall_score < self.LOW_SCORE

    @property
    def nps_group(self) -> str:
        if self.nps_value is None:
            return ""
        return "promoter" if self.nps_value >= 9 else "detractor" if self.nps_value <= 6 else "passive"


class SurveyAnswer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(QuestionItem, on_delete=models.PROTECT, related_name="+")
    number = models.SmallIntegerField(_("分值"), null=True, blank=True)
    text = models.TextField(_("文字/选项"), blank=True)

    class Meta:
        verbose_name = _("答案")
        verbose_name_plural = _("答案")
        ordering = ["response", "item__area__position", "item__position"]
        constraints = [models.UniqueConstraint(fields=["response", "item"], name="survey_answer_once")]

    def __str__(self):
        return f"{self.item_id}={self.number if self.number is not None else self.text}"


class SurveyAreaScore(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="area_scores")
    area = models.ForeignKey(QuestionArea, on_delete=models.PROTECT, related_name="+")
    score = models.FloatField(_("得分"))

    class Meta:
        verbose_name = _("领域得分")
        verbose_name_plural = _("领域得分")
        constraints = [
            models.UniqueConstraint(fields=["response", "area"], name="survey_area_score_once"),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="survey_area_score_0_100"),
        ]

    def __str__(self):
        return f"{self.area_id}={self.score:.1f}"


class SurveyExport(models.Model):
    """One line per export of a survey's answers: who, which survey, how many rows (PIPL)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="exports")
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("调查导出记录")
        verbose_name_plural = _("调查导出记录")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user_id} {self.survey_id} {self.row_count}"
