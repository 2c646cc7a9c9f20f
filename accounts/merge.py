"""What a merge of duplicate retailers does with the rows accounts holds about the duplicate (see
accounts.dedupe.services.MERGE_DECISIONS); registered from AccountsConfig.ready()."""

from accounts.dedupe.services import merge_move, merge_stay


def register() -> None:
    merge_move(
        "accounts.Retailer",
        field="merged_into",
        why="records merged into the duplicate earlier now point to the survivor: no chain of merges",
    )
    merge_stay(
        "accounts.RetailerEvent",
        field="pgh_obj",
        why="the change history of the duplicate as it was; both histories stay readable",
    )
    merge_stay(
        "accounts.RetailerEvent",
        field="merged_into",
        why="a history row records the value at that time; rewriting it would falsify the history",
    )
    merge_move(
        "accounts.ConsentEvent",
        why="consent and its proof belong to the shop, and decide what the survivor may be sent",
    )
    merge_stay(
        "accounts.SensitiveAccess",
        why="the audit of who revealed this record's personal data: it names the record that was shown",
    )
    merge_stay(
        "accounts.DuplicatePair",
        field="first",
        why="the pair is the record of the decision; the duplicate's other open pairs are closed as merged",
    )
    merge_stay(
        "accounts.DuplicatePair",
        field="second",
        why="the pair is the record of the decision; the duplicate's other open pairs are closed as merged",
    )
    merge_move(
        "accounts.Violation",
        why="violations belong to the shop and drive its credit grade (recomputed nightly); the move is kept "
        "in the violation's history",
    )
    merge_stay(
        "accounts.ViolationEvent",
        why="a history row records the violation as it was at that time",
    )
