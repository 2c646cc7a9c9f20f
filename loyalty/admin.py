"""Admin for every loyalty model. Settings, levels, rules and rewards are edited here; the ledger (accounts,
entries, lots) is read-only, scoped to the user's territory, and corrected only through services (the
"reverse" action writes a reversing entry)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.selectors import retailer_scope
from core.admin import ModelAdmin, ReadOnlyAdmin
from core.errors import ConflictError
from loyalty.coupons.models import Coupon, CouponBatch
from loyalty.earning.models import EarnMultiplier, EarnRule
from loyalty.ledger.models import PointsAccount, PointsEntry, PointsLot, PointsLotUse
from loyalty.ledger.services import ADJUST_PERMISSION, points_reverse
from loyalty.levels.models import LevelChange, MembershipLevel
from loyalty.models import LoyaltyEvent, Programme
from loyalty.referrals.models import Referral
from loyalty.rewards.models import Redemption, Reward
from loyalty.rewards.services import redemption_cancel, redemption_deliver


def _retailer_scope(request):
    return retailer_scope(user=request.user).values("id")


@admin.register(Programme)
class ProgrammeAdmin(ModelAdmin):
    list_display = (
        "__str__",
        "level_basis",
        "level_window_months",
        "expiry_years",
        "expiry_notice_days",
        "updated_at",
    )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not Programme.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MembershipLevel)
class MembershipLevelAdmin(ModelAdmin):
    list_display = ("rank", "code", "name", "min_amount_fen", "min_orders", "points_multiplier", "is_active")
    list_display_links = ("code", "name")
    list_filter = ("is_active",)
    ordering = ("rank",)


class EarnMultiplierInline(admin.TabularInline):
    model = EarnMultiplier
    extra = 1
    raw_id_fields = ("product",)


@admin.register(EarnRule)
class EarnRuleAdmin(ModelAdmin):
    list_display = (
        "name",
        "basis",
        "points_per_unit",
        "valid_from",
        "valid_to",
        "max_points_per_order",
        "uses_level_multiplier",
        "is_active",
    )
    list_filter = ("is_active", "basis")
    search_fields = ("name",)
    inlines = [EarnMultiplierInline]

    def has_delete_permission(self, request, obj=None):
        return False  # entries name their rule: switch it off instead


@admin.register(EarnMultiplier)
class EarnMultiplierAdmin(ModelAdmin):
    list_display = ("rule", "product", "price_class", "multiplier", "valid_from", "valid_to", "label")
    list_filter = ("rule", "price_class")
    raw_id_fields = ("product",)
    search_fields = ("label", "product__name")


@admin.register(PointsAccount)
class PointsAccountAdmin(ReadOnlyAdmin):
    list_display = (
        "retailer",
        "balance",
        "level",
        "level_since",
        "rolling_amount_fen",
        "rolling_orders",
        "updated_at",
    )
    list_filter = ("level",)
    list_select_related = ("retailer", "level")
    search_fields = ("=retailer__licence_no", "=retailer__customer_code")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(retailer__in=_retailer_scope(request))


@admin.action(description=_("冲正所选记录（写一条相反的记录）"))
def reverse_entries(modeladmin, request, queryset):
    done = 0
    for entry in queryset.order_by("id"):
        try:
            points_reverse(entry_id=entry.pk, user=request.user, reason=str(_("后台冲正")))
            done += 1
        except (ConflictError, ValidationError, PermissionDenied) as exc:
            modeladmin.message_user(request, f"#{entry.pk}: {exc}", level=messages.ERROR)
    if done:
        modeladmin.message_user(request, _("已冲正 %(n)s 条。") % {"n": done}, level=messages.SUCCESS)


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "account",
        "kind",
        "points",
        "expires_on",
        "order",
        "rule",
        "reverses",
        "note_display",
        "created_by",
        "created_at",
    )
    list_filter = ("kind",)
    list_select_related = ("account__retailer", "order", "rule", "created_by")
    search_fields = (
        "=account__retailer__licence_no",
        "=account__retailer__customer_code",
        "=order__order_no",
    )
    raw_id_fields = ("account", "order", "lot", "reverses")
    actions = [reverse_entries]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(account__retailer__in=_retailer_scope(request))

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm(ADJUST_PERMISSION):
            actions.pop("reverse_entries", None)
        return actions


@admin.register(PointsLot)
class PointsLotAdmin(ReadOnlyAdmin):
    list_display = ("entry", "amount", "remaining", "expires_on")
    list_filter = ("expires_on",)
    search_fields = ("=entry__account__retailer__licence_no",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(entry__account__retailer__in=_retailer_scope(request))


@admin.register(PointsLotUse)
class PointsLotUseAdmin(ReadOnlyAdmin):
    list_display = ("entry", "lot", "points")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(entry__account__retailer__in=_retailer_scope(request))


@admin.register(LevelChange)
class LevelChangeAdmin(ReadOnlyAdmin):
    list_display = ("account", "from_level", "to_level", "changed_on", "rolling_amount_fen", "rolling_orders")
    list_filter = ("to_level", "changed_on")
    list_select_related = ("account__retailer", "from_level", "to_level")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(account__retailer__in=_retailer_scope(request))


@admin.register(Reward)
class RewardAdmin(ModelAdmin):
    list_display = ("name", "kind", "points_price", "stock", "valid_from", "valid_to", "is_active")
    list_filter = ("kind", "is_active", "levels")
    search_fields = ("name",)
    filter_horizontal = ("levels",)

    def has_delete_permission(self, request, obj=None):
        return False  # redemptions name their reward: take it off the shelf instead


@admin.action(description=_("确认兑付所选"))
def deliver_redemptions(modeladmin, request, queryset):
    for redemption in queryset:
        try:
            redemption_deliver(redemption_id=redemption.pk, user=request.user)
        except (ConflictError, PermissionDenied) as exc:
            modeladmin.message_user(request, f"#{redemption.pk}: {exc}", level=messages.ERROR)


@admin.action(description=_("取消所选并退还积分"))
def cancel_redemptions(modeladmin, request, queryset):
    for redemption in queryset:
        try:
            redemption_cancel(redemption_id=redemption.pk, user=request.user, reason=str(_("后台取消")))
        except (ConflictError, PermissionDenied) as exc:
            modeladmin.message_user(request, f"#{redemption.pk}: {exc}", level=messages.ERROR)


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "account",
        "reward",
        "quantity",
        "points",
        "status",
        "channel",
        "requested_by",
        "created_at",
    )
    list_filter = ("status", "channel", "reward")
    list_select_related = ("account__retailer", "reward", "requested_by")
    search_fields = ("=account__retailer__licence_no",)
    actions = [deliver_redemptions, cancel_redemptions]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(account__retailer__in=_retailer_scope(request))


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = (
        "referrer",
        "referee",
        "status",
        "orders_required",
        "points",
        "created_by",
        "created_at",
        "rewarded_at",
    )
    list_filter = ("status",)
    list_select_related = ("referrer", "referee", "created_by")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(referrer__in=_retailer_scope(request))


@admin.register(CouponBatch)
class CouponBatchAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "kind",
        "value_fen",
        "expires_on",
        "source",
        "issued_count",
        "created_by",
        "created_at",
    )
    list_filter = ("kind", "source")
    search_fields = ("name", "source")


@admin.register(Coupon)
class CouponAdmin(ReadOnlyAdmin):
    list_display = ("code", "retailer", "batch", "status", "expires_on", "redeemed_at", "redeemed_by")
    list_filter = ("status", "batch")
    list_select_related = ("retailer", "batch", "redeemed_by")
    search_fields = ("=code", "=retailer__licence_no")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(retailer__in=_retailer_scope(request))


@admin.register(LoyaltyEvent)
class LoyaltyEventAdmin(ReadOnlyAdmin):
    list_display = ("retailer", "kind", "ref_date", "detail", "at")
    list_filter = ("kind",)
    list_select_related = ("retailer",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(retailer__in=_retailer_scope(request))
