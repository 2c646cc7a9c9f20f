"""What a merge of duplicate retailers does with the field app's rows about the duplicate (see
accounts.dedupe.services.MERGE_DECISIONS); registered from FieldappConfig.ready()."""

from accounts.dedupe.services import merge_move


def register() -> None:
    merge_move(
        "fieldapp.HeldVisit", why="a held visit is about the shop; the supervisor looks at it on the survivor"
    )
