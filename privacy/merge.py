"""What a merge of duplicate retailers does with privacy's rows about the duplicate (see
accounts.dedupe.services.MERGE_DECISIONS); registered from PrivacyConfig.ready()."""

from accounts.dedupe.services import merge_stay


def register() -> None:
    merge_stay(
        "privacy.PrivacyRequest",
        why="a request is the record of a right the person exercised about that record, answered as it was",
    )
    merge_stay("privacy.PrivacyLog", why="the audit of each step taken on that record")
    merge_stay("privacy.RetailerAnonymisation", why="the record that was anonymised, with its statement")
