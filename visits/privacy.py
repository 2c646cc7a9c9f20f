"""What a PIPL deletion does with visits' rows about a retailer (see accounts.personal_data.PRIVACY_DECISIONS);
registered from VisitsConfig.ready()."""

from accounts.personal_data import PrivacyAction, privacy_declare


def register() -> None:
    privacy_declare(
        "visits.VisitPlan", PrivacyAction.KEEP, why="planned visits: work records, no personal field"
    )
    privacy_declare(
        "visits.Visit",
        PrivacyAction.ANONYMISE,
        scrub=("notes", "next_action"),
        why="visits are the customer managers' work records and stay (coverage, proof of visit); the person's "
        "values are scrubbed from notes; photos of the shop stay",
    )
    privacy_declare(
        "visits.CultivationTarget", PrivacyAction.KEEP, why="a brand programme's target: no personal field"
    )
    privacy_declare(
        "visits.ShopFacts",
        PrivacyAction.KEEP,
        export=False,
        why="dates, counts and scores derived from the shop's visits and cases (recomputed from them): no personal "
        "field",
    )
