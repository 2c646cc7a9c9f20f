"""What a PIPL deletion does with sales' rows about a retailer (see accounts.personal_data.PRIVACY_DECISIONS);
registered from SalesConfig.ready()."""

from accounts.personal_data import PrivacyAction, privacy_declare


def register() -> None:
    privacy_declare(
        "sales.Order",
        PrivacyAction.KEEP,
        why="orders are the company's sales and accounting records (kept as business records); they hold no "
        "personal field",
    )
    privacy_declare(
        "sales.RetailerPeriodSummary",
        PrivacyAction.KEEP,
        why="sums of the shop's orders per week and month, no personal field",
    )
    privacy_declare(
        "sales.RetailerProductSummary",
        PrivacyAction.KEEP,
        why="sums of the shop's order lines per product and week, no personal field",
    )
    privacy_declare(
        "sales.AllocationExcess",
        PrivacyAction.KEEP,
        why="order lines over the published allocation limit: a monopoly supply record, no personal field",
    )
    privacy_declare(
        "sales.AllocationAllowance",
        PrivacyAction.KEEP,
        why="the published allocation plan's frozen allowances: a supply record, no personal field",
    )
