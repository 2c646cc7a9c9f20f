from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentationConfig(AppConfig):
    name = "segmentation"
    verbose_name = _("客户分级")

    def ready(self):
        from segmentation import merge
        from segmentation.rule_fields import register_catalogue

        register_catalogue()
        merge.register()
