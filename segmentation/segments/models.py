"""Saved segments (客户分群): a named rule tree over the retailers of one org unit's subtree."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from segmentation.segments.rules import definition_validate


class Segment(models.Model):
    """A saved audience: a rule tree (its format in segments.rules, the fields it can test in segments.rule_fields)
    over the retailers of one org unit's subtree. Membership is never stored: it is evaluated in one SQL query
    whenever it is asked for (segments.selectors.segment_members), so a campaign snapshots it at launch."""

    name = models.CharField(_("名称"), max_length=100)
    description = models.CharField(_("说明"), max_length=500, blank=True)
    org_unit = models.ForeignKey(
        "users.OrgUnit", verbose_name=_("覆盖范围"), on_delete=models.PROTECT, related_name="+"
    )
    definition = models.JSONField(_("规则"), default=dict)
    is_archived = models.BooleanField(_("已归档"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("修改人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("客户分群")
        verbose_name_plural = _("客户分群")
        ordering = ["-updated_at", "-id"]
        constraints = [
            # an archived segment gives its name back, so a new one may take it
            models.UniqueConstraint(
                fields=["org_unit", "name"], condition=Q(is_archived=False), name="segment_name_per_org_unit"
            ),
        ]
        indexes = [models.Index(fields=["org_unit", "is_archived"], name="segment_org_unit")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("segmentation:segment-detail", kwargs={"pk": self.pk})

    def clean(self):
        try:
            self.definition = definition_validate(self.definition)
        except ValidationError as exc:
            raise ValidationError({"definition": exc.error_list}) from exc
