"""The lines the tier engine writes by itself into the tier history, as codes worded in the reader's language
(core.messages); registered from SegmentationConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from core.messages import system_message_register

PROPOSAL = "tier.proposal"
APPEAL = "tier.appeal"


def register() -> None:
    system_message_register(PROPOSAL, _("档位方案 #%(id)s（%(start)s 至 %(end)s）"), by="segmentation")
    system_message_register(APPEAL, _("档位异议 #%(id)s：%(text)s"), by="segmentation")
