from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = _("会员积分")

    def ready(self):
        # Follow orders as imports land them and retailers as they are merged (hooks of the lower layers).
        from loyalty import hooks  # noqa: F401
