"""The lines the points ledger writes by itself (a redemption, a referral, a reversal, a merge), as codes worded in
the reader's language (core.messages); registered from LoyaltyConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from core.messages import system_message_register

REDEEMED = "points.redeemed"
REFERRAL = "points.referral"
REVERSED = "points.reversed"
REDEMPTION_CANCELLED = "points.redemption_cancelled"
MERGED = "points.merged"


def register() -> None:
    def add(code, template):
        system_message_register(code, template, by="loyalty")

    add(REDEEMED, _("兑换 %(name)s ×%(n)s"))
    add(REFERRAL, _("推荐新店 %(shop)s"))
    add(REVERSED, _("冲正 #%(id)s"))
    add(REDEMPTION_CANCELLED, _("取消兑换 #%(id)s"))
    add(MERGED, _("客户合并：%(a)s → %(b)s"))
