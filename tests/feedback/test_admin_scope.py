"""The admin pages of customer service keep to the user's territory like every other path."""

import pytest

from feedback.complaints.notifications.models import Notification
from tests.feedback.factories import NotificationFactory
from tests.users.factories import SupervisorFactory

pytestmark = pytest.mark.django_db


def test_notification_admin_shows_a_supervisor_only_their_own_notifications(
    client_for, supervisor_a, county_b, company_admin
):
    supervisor_a.is_staff = True
    supervisor_a.save(update_fields=["is_staff"])
    supervisor_b = SupervisorFactory(org_unit=county_b, is_staff=True)
    NotificationFactory(recipient=supervisor_a, kind=Notification.Kind.ASSIGNED, text="老城区的新投诉待派单")
    NotificationFactory(recipient=supervisor_b, kind=Notification.Kind.ASSIGNED, text="涧西区的新投诉待派单")
    response = client_for(supervisor_a).get("/admin/feedback/notification/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "老城区的新投诉待派单" in page
    assert "涧西区的新投诉待派单" not in page
    other = Notification.objects.get(recipient=supervisor_b)
    assert client_for(supervisor_a).get(f"/admin/feedback/notification/{other.pk}/change/").status_code == 404
    # the company admin still reads them all
    page = client_for(company_admin).get("/admin/feedback/notification/").content.decode()
    assert "涧西区的新投诉待派单" in page


def test_complaint_photo_links_in_the_admin_open_the_protected_view_not_media(
    client_for, company_admin, retailer_a
):
    from tests.feedback.factories import open_complaint, png

    complaint = open_complaint(retailer_a, photos=[png()])
    photo = complaint.photos.get()
    url = f"/service/complaints/{complaint.pk}/photos/{photo.pk}/"
    client = client_for(company_admin)
    for page in (f"/admin/feedback/complaint/{complaint.pk}/change/", "/admin/feedback/complaintphoto/"):
        html = client.get(page).content.decode()
        assert url in html, page
        assert "/media/" not in html, page
        assert 'href="media/' not in html, page
    assert client.get(url).status_code == 200
