"""What a PIPL deletion does with loyalty's rows about a retailer (see accounts.personal_data.PRIVACY_DECISIONS);
registered from LoyaltyConfig.ready()."""

from accounts.personal_data import PrivacyAction, privacy_declare

KEEP = PrivacyAction.KEEP
WHY_LEDGER = (
    "the points ledger is an append-only financial record (points are a liability of the company) and stays; it "
    "holds no personal field"
)


def register() -> None:
    privacy_declare("loyalty.PointsAccount", KEEP, why=WHY_LEDGER)
    privacy_declare("loyalty.PointsEntry", KEEP, field="account__retailer", why=WHY_LEDGER)
    privacy_declare(
        "loyalty.LevelChange",
        KEEP,
        field="account__retailer",
        why="membership level history, no personal field",
    )
    privacy_declare(
        "loyalty.Redemption",
        PrivacyAction.ANONYMISE,
        field="account__retailer",
        scrub=("note",),
        why="rewards redeemed are the ledger's counterpart and stay; the person's values are scrubbed from notes",
    )
    privacy_declare(
        "loyalty.Referral", KEEP, field="referrer", why="the referral and its reward: no personal field"
    )
    privacy_declare(
        "loyalty.Referral", KEEP, field="referee", why="the referral and its reward: no personal field"
    )
    privacy_declare("loyalty.Coupon", KEEP, why="a coupon handed out and its use: no personal field")
    privacy_declare(
        "loyalty.LoyaltyEvent", KEEP, why="notices about the account (kinds and numbers), no personal field"
    )
