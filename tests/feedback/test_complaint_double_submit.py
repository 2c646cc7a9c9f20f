"""A double tap on the complaint form (two requests at once) files one complaint, not two."""

import threading

import pytest
from django.db import connection, transaction

from feedback.complaints.models import Complaint
from feedback.complaints.services.intake import complaint_open_once
from tests.concurrency import wait_until_another_session_blocks

pytestmark = pytest.mark.django_db(transaction=True)


def _file(retailer):
    return complaint_open_once(
        retailer=retailer,
        category_code="supply",
        description="本周紧俏品规一条都没订到。",
        channel=Complaint.Channel.WEB,
    )


def test_two_identical_submissions_racing_file_one_complaint(retailer_a, manager_a):
    first_written = threading.Event()
    outcome = {}

    def first():
        try:
            with transaction.atomic():
                outcome["first"] = _file(retailer_a)
                first_written.set()
                wait_until_another_session_blocks()  # commit only once the competing request waits on us
        finally:
            connection.close()

    def second():
        try:
            first_written.wait(5)
            outcome["second"] = _file(retailer_a)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)

    (one, created_1), (two, created_2) = outcome["first"], outcome["second"]
    assert (created_1, created_2) == (True, False)
    assert one.pk == two.pk
    assert Complaint.objects.count() == 1


def test_a_different_complaint_of_the_same_shop_is_filed(retailer_a, manager_a):
    first, created = _file(retailer_a)
    other, created_again = complaint_open_once(
        retailer=retailer_a, category_code="supply", description="另一件事。", channel=Complaint.Channel.WEB
    )
    assert (created, created_again) == (True, True)
    assert first.pk != other.pk
