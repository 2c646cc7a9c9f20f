"""The retailer's change history for set-based writes.

pghistory's row triggers call a plpgsql function with an EXCEPTION block, i.e. a subtransaction per row
(~0.4 ms): fine for a form, ruinous for a 100k-row import. Bulk writers switch the triggers off for their
statement (pgtrigger.ignore) and write the same events set-based with the SQL below."""

from users.models import User

RETAILER_TRIGGERS = ("accounts.Retailer:created_insert", "accounts.Retailer:updated_update")


def retailer_event_columns() -> list[str]:
    from accounts.models import RetailerEvent

    return [f.column for f in RetailerEvent._meta.concrete_fields if not f.name.startswith("pgh_")]


def retailer_events_insert_sql(*, source: str, inserted_flag: str = "inserted") -> str:
    """An INSERT of one history event per row of `source` (a CTE or table with the retailer's columns and a
    boolean `inserted_flag`), labelled like pghistory's own ('created' / 'updated'); one %s parameter: the context id."""
    columns = retailer_event_columns()
    cols = ", ".join(columns)
    values = ", ".join(f"w.{c}" for c in columns)
    # column names come from the model and `source` is the caller's CTE name: no outside input
    return (
        f"INSERT INTO accounts_retailerevent ({cols}, pgh_created_at, pgh_label, pgh_obj_id, pgh_context_id) "  # noqa: S608
        f"SELECT {values}, now(), CASE WHEN w.{inserted_flag} THEN 'created' ELSE 'updated' END, w.id, "
        f"%s::uuid FROM {source} w"
    )


def history_context_create(*, user: User | None, source: str, message: dict | None = None) -> str:
    """A pghistory context row naming who and what made a bulk change; returns its id. `message` (core.messages)
    words the change for the history's reader; `source` is what the audit keeps as text."""
    import uuid

    from pghistory.models import Context

    metadata = {"user": user.pk if user else None, "source": source}
    if message:
        metadata["message"] = message
    context = Context.objects.create(id=uuid.uuid4(), metadata=metadata)
    return str(context.id)
