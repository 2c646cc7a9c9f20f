"""Two transactions writing the same shop's rows at once: each trigger recomputed the facts from its own snapshot,
and the second upsert, waiting on the first's row, then wrote values that did not see the first's rows (a lost
update: the later call-back or visit could vanish from the facts). The refresh now locks the shops' facts rows
first, in id order, and computes after the lock, in a statement whose snapshot sees what the first committed."""

from django.db import migrations

REFRESH_SQL = """
CREATE OR REPLACE FUNCTION visits_shopfacts_refresh(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
    -- a row to lock for every shop (waits for a concurrent first insert of the same shop to end)
    INSERT INTO visits_shopfacts (retailer_id, open_complaints, refreshed_at)
    SELECT r.id, 0, now() FROM accounts_retailer r WHERE r.id = ANY(ids) ORDER BY r.id
    ON CONFLICT (retailer_id) DO NOTHING;
    PERFORM 1 FROM visits_shopfacts WHERE retailer_id = ANY(ids) ORDER BY retailer_id FOR UPDATE;
    -- a new statement: under READ COMMITTED its snapshot is taken now, after the lock, and sees the other writer
    UPDATE visits_shopfacts f SET
        last_visit_on = (SELECT max(v.visited_on) FROM visits_visit v WHERE v.retailer_id = f.retailer_id),
        store_score = (SELECT v.store_score FROM visits_visit v
                       WHERE v.retailer_id = f.retailer_id AND v.store_score IS NOT NULL AND v.trust <> 'rejected'
                       ORDER BY v.visited_on DESC, v.id DESC LIMIT 1),
        open_complaints = (SELECT count(*) FROM feedback_complaint c
                           WHERE c.retailer_id = f.retailer_id AND c.status IN ('new', 'assigned', 'in_progress')),
        last_complaint_at = (SELECT max(c.opened_at) FROM feedback_complaint c WHERE c.retailer_id = f.retailer_id),
        low_rated_complaint_id = low.id, low_rating = low.rating, low_rated_at = low.rated_at,
        last_survey_score = survey.overall_score, last_surveyed_at = survey.submitted_at,
        last_call_at = (SELECT max(h.called_at) FROM feedback_hiddencomplaintcall h
                        WHERE h.retailer_id = f.retailer_id),
        refreshed_at = now()
    FROM visits_shopfacts f2
    LEFT JOIN LATERAL (
        SELECT c.id, c.rating, c.rated_at FROM feedback_complaint c
        WHERE c.retailer_id = f2.retailer_id AND c.rating <= 2 AND c.rated_at IS NOT NULL
        ORDER BY c.rated_at DESC, c.id DESC LIMIT 1
    ) low ON true
    LEFT JOIN LATERAL (
        SELECT s.overall_score, s.submitted_at FROM feedback_surveyresponse s
        WHERE s.retailer_id = f2.retailer_id AND s.overall_score IS NOT NULL
        ORDER BY s.submitted_at DESC, s.id DESC LIMIT 1
    ) survey ON true
    WHERE f2.retailer_id = f.retailer_id AND f.retailer_id = ANY(ids);
END
$f$;
"""


class Migration(migrations.Migration):
    dependencies = [("visits", "0007_shop_facts_cascade")]

    operations = [migrations.RunSQL(REFRESH_SQL, migrations.RunSQL.noop)]
