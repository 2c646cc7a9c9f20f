from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldappConfig(AppConfig):
    """The installable offline field app over the existing pages: manifest, service worker, the list of pages a
    phone keeps for offline use, the offline visit queue's sync endpoint and the visits it had to hold back."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "fieldapp"
    verbose_name = _("离线外勤")

    def ready(self):
        from fieldapp import merge

        merge.register()
        from fieldapp import privacy as privacy_decisions

        privacy_decisions.register()
        from fieldapp import system_texts

        system_texts.register()
