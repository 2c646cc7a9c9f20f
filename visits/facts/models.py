"""What the daily list and the workspace know of a shop beyond its own row, kept by the database."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer


class ShopFacts(models.Model):
    """What the daily list and the manager's workspace need to know of one shop beyond its own row, kept current by
    the database itself: statement triggers on visits, complaints, survey answers and call-backs (migration 0005,
    function visits_shopfacts_refresh) recompute a shop's row whenever one of those rows of the shop is written,
    moved or deleted — by a service, the admin, an import, a merge or a raw SQL sweep alike. A shop with none of
    them has no row. `manage.py shop_facts --check` compares every row with a fresh computation."""

    retailer = models.OneToOneField(
        Retailer, verbose_name=_("零售客户"), on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_visit_on = models.DateField(_("最近走访日期"), null=True)
    store_score = models.PositiveSmallIntegerField(_("最近终端形象分"), null=True)  # of the last scored visit
    open_complaints = models.PositiveIntegerField(_("未办结投诉"), default=0)
    last_complaint_at = models.DateTimeField(_("最近投诉受理时间"), null=True)
    low_rated_complaint = models.ForeignKey(
        "feedback.Complaint",
        verbose_name=_("最近低评分投诉"),
        null=True,
        on_delete=models.DO_NOTHING,  # the trigger on complaints rewrites the row when the complaint goes
        db_constraint=False,
        related_name="+",
    )
    low_rating = models.PositiveSmallIntegerField(_("评分"), null=True)
    low_rated_at = models.DateTimeField(_("评价时间"), null=True)
    last_survey_score = models.FloatField(_("最近调查得分"), null=True)
    last_surveyed_at = models.DateTimeField(_("最近调查时间"), null=True)
    last_call_at = models.DateTimeField(_("最近回访时间"), null=True)
    refreshed_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("客户服务事实")
        verbose_name_plural = _("客户服务事实")

    def __str__(self):
        return str(self.retailer_id)
