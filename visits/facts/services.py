"""Recomputing the shop facts by hand (they are kept by database triggers; see visits.facts.models.ShopFacts): after a
restore from a backup taken before migration 0005, or when `manage.py shop_facts --check` finds a difference."""

from django.db import connection, transaction

from core.db import tables_analyze


def shop_facts_rebuild() -> tuple[int, int]:
    """Recompute every shop's facts and every cultivation target's first purchase, set-based, in one transaction.
    Returns (shops, targets) recomputed."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("""
            SELECT array_agg(id) FROM (
                SELECT retailer_id AS id FROM visits_shopfacts UNION SELECT retailer_id FROM visits_visit
                UNION SELECT retailer_id FROM feedback_complaint UNION SELECT retailer_id FROM feedback_surveyresponse
                UNION SELECT retailer_id FROM feedback_hiddencomplaintcall) s
        """)
        ids = cursor.fetchone()[0] or []
        cursor.execute("SELECT visits_shopfacts_refresh(%s)", [ids])
        cursor.execute("SELECT array_agg(id) FROM visits_cultivationtarget")
        targets = cursor.fetchone()[0] or []
        cursor.execute("SELECT visits_cultivation_bought_refresh(%s)", [targets])
        tables_analyze(cursor, "visits_shopfacts")
    return len(ids), len(targets)
