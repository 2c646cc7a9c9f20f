"""What a merge of duplicate retailers does with visits' rows about the duplicate (see
accounts.dedupe.services.MERGE_DECISIONS); registered from VisitsConfig.ready()."""

from accounts.dedupe.services import merge_move, merge_stay


def register() -> None:
    merge_move(
        "visits.VisitPlan",
        unique_with=["planned_on"],
        why="plans follow the shop so coverage matches plans to visits; where both records were planned on the "
        "same day, the survivor's plan stands for the one visit and the duplicate's is deleted",
    )
    merge_move(
        "visits.Visit", why="visits (their photos and stock checks follow them) are the shop's history"
    )
    merge_move(
        "visits.CultivationTarget",
        unique_with=["programme"],
        why="targets follow the shop; where both records are targets of one programme the survivor's stands and "
        "the duplicate's is deleted",
    )
    merge_stay(
        "visits.ShopFacts",
        why="derived, not moved: the database recomputes both shops' rows as the duplicate's visits, complaints, "
        "survey answers and call-backs move (migration 0005's triggers)",
    )
