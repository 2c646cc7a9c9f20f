"""Two submissions of one visit racing (a phone retrying while the first request is still being written): the
second waits on the unique key, then answers with the first visit instead of recording another."""

import threading
import uuid

import pytest
from django.db import connection, transaction

from tests.concurrency import wait_until_another_session_blocks
from visits.models import Visit
from visits.records.services import VisitInput, visit_record

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_retry_racing_the_first_submission_records_one_visit(retailer_a, manager_a):
    key = uuid.uuid4()
    first_written = threading.Event()
    outcome = {}

    def first():
        try:
            with transaction.atomic():
                outcome["first"] = visit_record(
                    actor=manager_a,
                    retailer=retailer_a,
                    idempotency_key=key,
                    data=VisitInput(no_location_reason="a"),
                )
                first_written.set()
                wait_until_another_session_blocks()  # commit only once the competing request waits on us
        finally:
            connection.close()

    def retry():
        try:
            first_written.wait(5)
            outcome["retry"] = visit_record(
                actor=manager_a,
                retailer=retailer_a,
                idempotency_key=key,
                data=VisitInput(no_location_reason="b"),
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=retry)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)

    (visit_1, created_1), (visit_2, created_2) = outcome["first"], outcome["retry"]
    assert (created_1, created_2) == (True, False)
    assert visit_1.pk == visit_2.pk
    assert Visit.objects.get().no_location_reason == "a"
