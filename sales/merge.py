"""What a merge of duplicate retailers does with sales' rows about the duplicate (see
accounts.dedupe.services.MERGE_DECISIONS); registered from SalesConfig.ready()."""

from accounts.dedupe.services import merge_move, merge_stay
from sales.services import (
    retailer_orders_move,
    retailer_product_summaries_rebuild,
    retailer_summaries_rebuild,
)


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
        "sales.RetailerProductSummary",
        handler=retailer_product_summaries_rebuild,
        why="both retailers' product weeks are dropped and the survivor's rebuilt from its orders, now both shops'",
    )
    merge_move(
        "sales.AllocationExcess",
        why="the excess flags follow their order lines; the nightly refresh re-checks the cycle against the "
        "survivor's allowance",
    )
    merge_stay(
        "sales.AllocationAllowance",
        why="a published plan's frozen allowances are what was published, per record; a merge must not change a "
        "published plan (a new version takes the survivor in)",
    )
