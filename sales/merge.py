"""What a merge of duplicate retailers does with sales' rows about the duplicate (see
accounts.dedupe.MERGE_DECISIONS); registered from SalesConfig.ready()."""

from accounts.dedupe import merge_move
from sales.services import retailer_orders_move, retailer_summaries_rebuild


def register() -> None:
    merge_move(
        "sales.Order",
        handler=retailer_orders_move,
        why="orders are the shop's purchases; their lines follow them",
    )
    merge_move(
        "sales.RetailerPeriodSummary",
        handler=retailer_summaries_rebuild,
        why="both retailers' summaries are dropped and the survivor's rebuilt from its orders, now both shops'",
    )
    merge_move(
        "sales.AllocationExcess",
        why="the excess flags follow their order lines; the nightly refresh re-checks the cycle against the "
        "survivor's allowance",
    )
