from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentationConfig(AppConfig):
    name = "segmentation"
    verbose_name = _("客户分级")

    def ready(self):
        from accounts.services import starting_tier_cap_source_register
        from segmentation import merge
        from segmentation.segments.rule_fields import register_catalogue

        register_catalogue()
        merge.register()
        from segmentation import system_texts

        system_texts.register()
        from segmentation import privacy as privacy_decisions

        privacy_decisions.register()
        # a new retailer's starting tier is capped by the tier engine's rule (accounts cannot import it)
        starting_tier_cap_source_register(_new_retailer_cap)


def _new_retailer_cap() -> int:
    from segmentation.tiers.grading import tier_rule_current

    return tier_rule_current().new_retailer_cap
