from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Personal-information rights (PIPL): a retailer's request to see, correct or delete its personal data as a case
    with a deadline, the see-export, the erasure with its statement, and the retention of closed records. What each
    app holds about a retailer is declared in its privacy.py (accounts.personal_data.PRIVACY_DECISIONS)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "privacy"
    verbose_name = _("个人信息权利")

    def ready(self):
        from privacy import merge
        from privacy import privacy as privacy_decisions

        merge.register()
        privacy_decisions.register()
