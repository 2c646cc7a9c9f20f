"""The retailer import's write: every valid staged row inserted or updated by licence number, in set-based
statements, with the retailers' history events and recomputed credit grades."""

import pgtrigger

from accounts.history import RETAILER_TRIGGERS, history_context_create, retailer_events_insert_sql
from accounts.imports.retailers.columns import INSERT_DEFAULTS, VALUE_COLUMNS
from accounts.services import LOCKED_FIELDS


def retailer_rows_upsert(*, cursor, job, table):
    mapped = set(job.column_mapping)
    names = [name for name, _type in VALUE_COLUMNS]
    insert_values = []
    for name in names:
        default = INSERT_DEFAULTS.get(name)
        insert_values.append(f"coalesce(s.{name}, {default})" if default else f"s.{name}")
    # Update only the columns the file carries; a missing column keeps what the record has. The locked
    # fields are never updated (check() refuses a row that would change them).
    update_names = [n for n in names if n in mapped and n != "licence_no" and n not in LOCKED_FIELDS]
    if "org_unit" in mapped or "route" in mapped:
        update_names += ["org_unit_id"]
    if "route" in mapped:
        update_names += ["route_id"]
    set_sql = ", ".join(f"{n} = EXCLUDED.{n}" for n in update_names) or "licence_no = EXCLUDED.licence_no"
    distinct = (
        f"({', '.join(f'r.{n}' for n in update_names)}) IS DISTINCT FROM "
        f"({', '.join(f'EXCLUDED.{n}' for n in update_names)})"
        if update_names
        else "false"
    )
    context = history_context_create(user=job.created_by, source=f"import #{job.pk} {job.original_name}")
    # One statement writes the rows and their history events (the row triggers are off for it).
    with pgtrigger.ignore(*RETAILER_TRIGGERS):
        cursor.execute(
            f"""
            WITH written AS (
              INSERT INTO accounts_retailer AS r ({", ".join(names)}, org_unit_id, route_id, sms_consent,
                     sms_consent_source, email_consent, email_consent_source, created_at, updated_at)
              SELECT {", ".join(insert_values)}, s.org_unit_id, s.route_id, false, '', false, '', now(), now()
              FROM {table} s WHERE s.ok ORDER BY s.row_no
              ON CONFLICT (licence_no) DO UPDATE SET {set_sql}, updated_at = now() WHERE {distinct}
              RETURNING r.*, (xmax = 0) AS inserted
            ), events AS (
              {retailer_events_insert_sql(source="written")}
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
        """,
            [context],
        )
    created, updated = cursor.fetchone()
    if "credit_grade" in mapped:
        # a grade in the file is only a starting value: the credit rule decides it (one UPDATE for the file)
        from accounts.compliance.services import credit_grades_recompute

        cursor.execute(
            f"SELECT r.id FROM accounts_retailer r JOIN {table} s ON s.licence_no = r.licence_no WHERE s.ok"
        )
        credit_grades_recompute(retailer_ids=[row[0] for row in cursor.fetchall()])
    cursor.execute(f"SELECT count(*) FROM {table} WHERE ok")
    valid = cursor.fetchone()[0]
    return created, updated, valid - created - updated
