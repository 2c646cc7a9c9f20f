"""`seed_demo --flush` over existing data starts by emptying the visit tables (visits.demo.demo_visits_flush)."""

from visits.demo import demo_visits_flush
from visits.models import Visit


def test_the_demo_flush_empties_the_visits_though_held_visits_point_at_them(db):
    # fieldapp_heldvisit references visits_visit: PostgreSQL refuses a TRUNCATE of the visits alone, rows or none
    # (rows are left out here: inside the test's transaction their deferred checks would block any TRUNCATE)
    demo_visits_flush()
    assert not Visit.objects.exists()
