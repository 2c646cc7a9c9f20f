"""complaint_open: routing by category, deadlines from the working calendar, the first timeline lines, and bad
input refused with nothing written; complaints_overdue: what is past a deadline, scoped."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from feedback.complaints.models import Complaint, ComplaintCategory, ComplaintEvent, ComplaintPhoto
from feedback.complaints.notifications.models import Notification
from feedback.complaints.selectors import complaints_overdue
from feedback.complaints.services.workflow import complaint_start
from tests.feedback.conftest import local
from tests.feedback.factories import not_an_image, open_complaint, png
from tests.sales.factories import OrderFactory

pytestmark = pytest.mark.django_db


def test_open_assigns_to_the_retailers_manager_with_deadlines_and_timeline(
    retailer_a, manager_a, clock, eager_tasks, django_capture_on_commit_callbacks
):
    manager_a.email = "wang@example.cn"
    manager_a.save(update_fields=["email"])
    clock.set(local(2026, 9, 30, 16, 0))
    with django_capture_on_commit_callbacks(execute=True):
        complaint = open_complaint(retailer_a, "supply", actor=manager_a)

    assert complaint.status == Complaint.Status.ASSIGNED
    assert complaint.assignee == manager_a
    assert complaint.customer_manager == manager_a
    assert complaint.queue_unit == retailer_a.org_unit
    assert complaint.priority == "normal"  # the category's default
    # supply: 4 h response, 15 h resolution, over National Day (see test_workcal)
    assert complaint.response_due == local(2026, 10, 8, 11, 0)
    assert complaint.resolution_due == local(2026, 10, 9, 16, 0)
    assert list(complaint.events.values_list("kind", flat=True)) == ["opened", "assigned"]
    assert Notification.objects.get(recipient=manager_a).complaint == complaint
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["wang@example.cn"]


def test_conduct_complaint_goes_to_the_supervisor_never_the_manager(
    retailer_a, manager_a, supervisor_a, on_weekday
):
    complaint = open_complaint(retailer_a, "cm_conduct", description="客户经理态度恶劣，多次不接电话。")
    assert complaint.assignee == supervisor_a
    assert complaint.customer_manager == manager_a
    assert complaint.priority == "high"


def test_illegal_trading_report_is_due_the_same_working_day(retailer_a, supervisor_a, clock):
    clock.set(local(2026, 11, 23, 16, 30))
    complaint = open_complaint(retailer_a, "illegal_trading", description="隔壁店在卖无标识卷烟。")
    # 2 working hours would end Tuesday 09:30; same-day dispatch caps it at Monday 17:30
    assert complaint.response_due == local(2026, 11, 23, 17, 30)
    assert complaint.priority == "urgent"
    assert complaint.assignee == supervisor_a


def test_unit_routed_category_waits_in_that_units_queue(
    retailer_a, dept_b, supervisor_a, on_weekday, county_a
):
    ComplaintCategory.objects.filter(code="licence").update(routing="unit", queue_unit=county_a)
    complaint = open_complaint(retailer_a, "licence", description="许可证延续申请一直没有回音。")
    assert complaint.status == Complaint.Status.NEW
    assert complaint.assignee is None
    assert complaint.queue_unit == county_a
    assert Notification.objects.get().recipient == supervisor_a  # the queue's dispatcher is told


def test_photos_are_kept_and_explicit_priority_wins(retailer_a, on_weekday):
    complaint = open_complaint(retailer_a, "quality", priority="urgent", photos=[png()])
    assert complaint.priority == "urgent"
    photo = ComplaintPhoto.objects.get(complaint=complaint)
    assert photo.content_type == "image/png"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"category_code": "no-such"}, "category"),
        ({"channel": "fax"}, "channel"),
        ({"description": "   "}, "description"),
        ({"priority": "whenever"}, "priority"),
        ({"photos": [not_an_image()]}, "photos"),
        ({"photos": [png(size=5 * 1024 * 1024 + 1)]}, "photos"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(retailer_a, on_weekday, kwargs, field):
    with pytest.raises(ValidationError) as refused:
        open_complaint(retailer_a, **kwargs)
    assert field in refused.value.message_dict
    assert Complaint.objects.count() == 0
    assert ComplaintEvent.objects.count() == 0
    assert Notification.objects.count() == 0


def test_an_order_of_another_retailer_is_refused(retailer_a, retailer_b, on_weekday):
    order = OrderFactory(retailer=retailer_b, ordered_on=datetime.date(2026, 11, 18), summaries=False)
    with pytest.raises(ValidationError) as refused:
        open_complaint(retailer_a, order=order)
    assert "order" in refused.value.message_dict


def test_overdue_lists_breached_open_cases_scoped_to_the_user(
    retailer_a, retailer_b, manager_a, manager_b, clock
):
    clock.set(local(2026, 11, 23, 9, 0))
    late = open_complaint(retailer_a, "supply")  # 4 h response: 3 h in the morning + 1 h after 13:30
    taken_up = open_complaint(retailer_a, "delivery")
    complaint_start(complaint=taken_up, actor=manager_a)
    other = open_complaint(retailer_b, "supply")
    assert late.response_due == local(2026, 11, 23, 14, 30)

    clock.set(local(2026, 11, 23, 15, 0))
    assert set(complaints_overdue()) == {late, other}
    assert list(complaints_overdue(user=manager_a)) == [late]
    assert list(complaints_overdue(retailer_ids=[retailer_b.pk])) == [other]
    # 15 h resolution: Mon 7 h + Tue 7.5 h + 0.5 h → Wed 09:00 catches the case that was taken up
    taken_up.refresh_from_db()
    assert taken_up.resolution_due == local(2026, 11, 25, 9, 0)
    clock.set(local(2026, 11, 25, 9, 1))
    assert taken_up in complaints_overdue(user=manager_a)
    assert other not in complaints_overdue(user=manager_a)
