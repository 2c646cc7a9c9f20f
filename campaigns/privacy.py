"""What a PIPL deletion does with campaigns' rows about a retailer (see accounts.personal_data.PRIVACY_DECISIONS);
registered from CampaignsConfig.ready()."""

from accounts.personal_data import PrivacyAction, privacy_declare

WHY_SEND_LOG = (
    "MIIT requires the send log of commercial SMS to be kept at least 5 months: the address a message went to stays "
    "until the nightly send-log retention deletes the row (SEND_LOG_RETENTION_DAYS, at least 153 days); consent "
    "is withdrawn, so nothing more is sent"
)


def register() -> None:
    privacy_declare("campaigns.Delivery", PrivacyAction.KEEP, kept=("address",), why=WHY_SEND_LOG)
    privacy_declare(
        "campaigns.InboundReply",
        PrivacyAction.KEEP,
        field="from_number",
        kept=("from_number",),
        why="the SMS replies (opt-outs) are part of the send log: " + WHY_SEND_LOG,
    )
