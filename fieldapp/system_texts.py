"""Why a visit synced from a phone was held back, as a code worded in the reader's language (core.messages);
registered from FieldappConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from core.messages import system_message_register

HELD_SHOP_MOVED = "held_visit.shop_moved"


def register() -> None:
    system_message_register(
        HELD_SHOP_MOVED, _("同步时该客户已不在您的负责范围内（已划归其他客户经理）。"), by="fieldapp"
    )
