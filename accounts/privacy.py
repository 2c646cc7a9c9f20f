"""What a PIPL deletion does with the rows accounts holds about a retailer (see
accounts.personal_data.PRIVACY_DECISIONS); registered from AccountsConfig.ready()."""

import datetime

from django.conf import settings
from django.utils import timezone

from accounts.personal_data import RETAILER, SCRUBBED, PrivacyAction, privacy_declare, rows_anonymise

ERASE, ANONYMISE, KEEP = PrivacyAction.ERASE, PrivacyAction.ANONYMISE, PrivacyAction.KEEP

# The owner's personal fields, cleared on the record and in its change history. The phone number cannot be empty
# (every retailer has one, checked by the database); it becomes 10 followed by the record's id, which no Chinese
# mobile number starts with, so it reaches nobody and matches no other shop.
OWNER_FIELDS = (
    "owner_id_number",
    "owner_birthday",
    "email",
    "bank_account",
    "sms_consent_source",
    "email_consent_source",
)
KEPT_FIELDS = ("address",)


def placeholder_mobile(retailer_id: int) -> str:
    return f"10{retailer_id % 10**9:09d}"


def retailer_anonymise(*, rows, retailer_id: int, values: dict) -> int:
    return rows.update(
        owner_name=SCRUBBED,
        mobile=placeholder_mobile(retailer_id),
        owner_id_number="",
        owner_birthday=None,
        email="",
        bank_account="",
        sms_consent=False,
        sms_consent_at=timezone.now(),
        sms_consent_source="",
        email_consent=False,
        email_consent_at=timezone.now(),
        email_consent_source="",
        updated_at=timezone.now(),
    )


def history_anonymise(*, rows, retailer_id: int, values: dict) -> int:
    return rows.update(
        owner_name=SCRUBBED,
        mobile=placeholder_mobile(retailer_id),
        owner_id_number="",
        owner_birthday=None,
        email="",
        bank_account="",
        sms_consent_source="",
        email_consent_source="",
    )


def consent_history_erase(*, rows, retailer_id: int, values: dict) -> int:
    """Consent older than the send log's retention proves nothing any more and goes; younger consent is the proof
    for messages still in the send log and stays, its source text scrubbed."""
    cutoff = timezone.now() - datetime.timedelta(days=settings.CAMPAIGNS_SEND_LOG_RETENTION_DAYS)
    deleted = rows.filter(created_at__lt=cutoff).delete()[0]
    return deleted + rows_anonymise(rows, scrub=("source",), values=values)


def register() -> None:
    privacy_declare(
        RETAILER[0],
        ANONYMISE,
        field=RETAILER[1],
        handler=retailer_anonymise,
        fields=("owner_name", "mobile", *OWNER_FIELDS),
        kept=KEPT_FIELDS,
        why="the shop's record stays (its licence, orders, points and violations are the tobacco company's "
        "records); the owner's name, phone (replaced by a number that reaches nobody), ID card, birthday, "
        "e-mail, bank account and every consent are cleared; the shop name and the licensed premises' address "
        "stay, as the licence record they belong to",
    )
    privacy_declare(
        "accounts.Retailer",
        KEEP,
        field="merged_into",
        export=False,
        why="a reference to the record this one was merged into: no personal data",
    )
    privacy_declare(
        "accounts.RetailerEvent",
        ANONYMISE,
        field="pgh_obj",
        handler=history_anonymise,
        fields=("owner_name", "mobile", *OWNER_FIELDS),
        kept=KEPT_FIELDS,
        why="the record's change history stays as the audit of changes; the owner's personal fields in every "
        "past version are cleared like the record's",
    )
    privacy_declare(
        "accounts.RetailerEvent",
        KEEP,
        field="merged_into",
        export=False,
        why="a history row's reference to a merge survivor: no personal data",
    )
    privacy_declare(
        "accounts.ConsentEvent",
        ERASE,
        handler=consent_history_erase,
        why="consent older than the send log's retention (SEND_LOG_RETENTION_DAYS, at least 5 months) is deleted; "
        "younger consent stays as the proof for the messages still in the send log, and goes with them",
    )
    privacy_declare(
        "accounts.SensitiveAccess",
        KEEP,
        why="the audit of which staff member revealed this record's personal data and when; it holds no value",
    )
    for field in ("first", "second"):
        privacy_declare(
            "accounts.DuplicatePair",
            KEEP,
            field=field,
            why="the record of a duplicate check and its decision; it holds no personal value",
        )
    privacy_declare(
        "accounts.Violation",
        ANONYMISE,
        scrub=("notes", "void_reason"),
        why="violations are the monopoly administration's records and stay; the person's name, phone and "
        "numbers are scrubbed from their notes",
    )
    privacy_declare(
        "accounts.ViolationEvent",
        ANONYMISE,
        scrub=("notes", "void_reason"),
        why="the violations' change history stays; the person's values are scrubbed from its notes",
    )
    # Logs and files that mention the person without referring to its record: found by its values in the text.
    privacy_declare(
        "accounts.RetailerExport",
        ANONYMISE,
        field="filters",
        match="text",
        scrub=("filters",),
        export=False,
        why="the export log stays as the audit of who exported what; a search for the person's phone, name or "
        "numbers in its filter is scrubbed",
    )
    privacy_declare(
        "accounts.ImportJob",
        ANONYMISE,
        field="preview",
        match="text",
        scrub=("preview",),
        export=False,
        why="an import's record stays; the person's values are scrubbed from the preview of the file's rows",
    )
    privacy_declare(
        "accounts.ImportRowError",
        ANONYMISE,
        field="value",
        match="text",
        scrub=("value",),
        export=False,
        why="an import's error report stays; the person's values are scrubbed from the cells it quotes",
    )
    privacy_declare(
        "pghistory.Context",
        ANONYMISE,
        field="metadata",
        match="text",
        scrub=("metadata",),
        export=False,
        by="accounts",
        why="who made each recorded change stays; a page address carrying the person's values is scrubbed",
    )
    # Staff logins hold their own phone and e-mail, not a retailer's: matched by value, kept, never exported.
    for field in ("mobile", "email"):
        privacy_declare(
            "users.User",
            KEEP,
            field=field,
            export=False,
            kept=(field,),
            by="accounts",
            why="a staff member's own contact, not the retailer's; a staff login sharing the number is not the "
            "retailer's data",
        )
