"""The plans' week visit counts (VisitPlan.week_visits), kept by the database: the SQL of the triggers
declared on VisitPlan and Visit."""

import pgtrigger

# ---- the plans' week visit counts (VisitPlan.week_visits), kept by the database --------------------------------
# Every path that writes visits keeps them right: the services, the offline sync, a merge's row moves, the demo's
# bulk INSERT, the admin. A plan counts the visits of its shop from its week's Monday to Sunday; a visit counts
# as trusted while unflagged or accepted (VisitPolicy.coverage_trusted_only chooses which count coverage reads).
TRUSTED = "('ok', 'accepted')"

# A plan made (or moved to another shop or day by a merge) counts its week's visits as they stand.
PLAN_WEEK_VISITS_SQL = """
    SELECT count(*), count(*) FILTER (WHERE v.trust IN ('ok', 'accepted'))
      INTO NEW.week_visits, NEW.week_visits_trusted
      FROM visits_visit v
     WHERE v.retailer_id = NEW.retailer_id
       AND v.visited_on BETWEEN NEW.planned_on - (extract(isodow FROM NEW.planned_on)::int - 1)
                            AND NEW.planned_on - (extract(isodow FROM NEW.planned_on)::int - 1) + 6;
    RETURN NEW;"""


def week_delta_sql(*, old: str | None, new: str | None) -> str:
    """Once per statement: +1 for each visit written, −1 for each one's former row, summed per shop and week and
    added to that week's plans (increments, so concurrent writers serialise on the plan row and none is lost)."""
    monday = "visited_on - (extract(isodow FROM visited_on)::int - 1)"
    sides = [
        f"SELECT retailer_id, {monday} AS monday, {sign}1 AS visits, {sign}(trust IN {TRUSTED})::int AS trusted "  # noqa: S608
        f"FROM {table}"
        for sign, table in (("", new), ("-", old))
        if table
    ]
    return f"""
    UPDATE visits_visitplan p
       SET week_visits = p.week_visits + d.visits, week_visits_trusted = p.week_visits_trusted + d.trusted
      FROM (
          SELECT retailer_id, monday, sum(visits) AS visits, sum(trusted) AS trusted
          FROM ({" UNION ALL ".join(sides)}) AS written
          GROUP BY 1, 2
          HAVING sum(visits) <> 0 OR sum(trusted) <> 0
      ) d
     WHERE p.retailer_id = d.retailer_id AND p.planned_on BETWEEN d.monday AND d.monday + 6;
    RETURN NULL;"""  # noqa: S608 (the transition tables' names)


def week_delta_trigger(name: str, operation, *, old: str | None = None, new: str | None = None):
    return pgtrigger.Trigger(
        name=name,
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=operation,
        referencing=pgtrigger.Referencing(old=old, new=new),
        func=week_delta_sql(old=old, new=new),
    )
