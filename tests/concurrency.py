"""Waiting on a condition, not a clock, in tests that race two database sessions."""

from django.db import connection

# One statement that returns once another session of this database is blocked on a lock (or the timeout passes):
# the caller holds its transaction open exactly until the competing request has really run into it.
_WAIT_FOR_LOCK_WAITER = """
DO $$
DECLARE deadline timestamptz := clock_timestamp() + make_interval(secs => %s);
BEGIN
  LOOP
    PERFORM pg_stat_clear_snapshot();  -- pg_stat_activity is otherwise read once per transaction
    EXIT WHEN EXISTS (
      SELECT 1 FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
    );
    IF clock_timestamp() > deadline THEN
      RAISE EXCEPTION 'no other session waited on a lock within the timeout';
    END IF;
    PERFORM pg_sleep(0.01);
  END LOOP;
END $$;
"""


def wait_until_another_session_blocks(timeout: float = 10.0) -> None:
    """Returns once another session is waiting on a lock this one holds; raises if none does in `timeout` s."""
    with connection.cursor() as cursor:
        cursor.execute(_WAIT_FOR_LOCK_WAITER % float(timeout))
