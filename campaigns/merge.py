"""What a merge of duplicate retailers does with campaigns' rows about the duplicate (see
accounts.dedupe.services.MERGE_DECISIONS); registered from CampaignsConfig.ready()."""

from accounts.dedupe.services import merge_move


def register() -> None:
    merge_move(
        "campaigns.Delivery",
        unique_with=["campaign", "channel"],
        on_conflict="stay",
        why="the send log follows the shop (frequency cap, opt-outs, campaign results count by retailer); where "
        "both records were in the same campaign and channel, the duplicate's row stays on the closed record: "
        "it logs a message really sent (kept ≥ 5 months) and a queued one is skipped as inactive",
    )
