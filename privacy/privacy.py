"""What a PIPL deletion does with privacy's own rows about a retailer (see accounts.personal_data.PRIVACY_DECISIONS);
registered from PrivacyConfig.ready()."""

from accounts.personal_data import PrivacyAction, privacy_declare


def register() -> None:
    privacy_declare(
        "privacy.PrivacyRequest",
        PrivacyAction.ANONYMISE,
        fields=("corrections",),
        scrub=("details",),
        why="the requests are the proof that the person's rights were answered in time (PIPL art. 50) and stay; "
        "corrected values are cleared and the person's values scrubbed from the description",
    )
    privacy_declare(
        "privacy.PrivacyLog",
        PrivacyAction.KEEP,
        why="the audit of every step (codes, field names and counts, never a personal value)",
    )
    privacy_declare(
        "privacy.RetailerAnonymisation",
        PrivacyAction.KEEP,
        why="the statement of what was erased, what was kept and why",
    )
