"""What a PIPL deletion does with fieldapp's rows about a retailer (see accounts.personal_data.PRIVACY_DECISIONS);
registered from FieldappConfig.ready()."""

from accounts.personal_data import PrivacyAction, privacy_declare


def register() -> None:
    privacy_declare(
        "fieldapp.HeldVisit",
        PrivacyAction.ANONYMISE,
        scrub=("payload",),
        why="a visit held back for a supervisor stays as a work record; the person's values are scrubbed from "
        "what the phone sent",
    )
