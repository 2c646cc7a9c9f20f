"""Visit photos are served through a view that checks the viewer may see the visit's retailer (MEDIA is never
public): the owner gets the bytes, never stored (core.middleware.NoStoreMiddleware), with the stored type, another territory gets 404 on the file
and never sees its address, an anonymous visitor is sent to log in; page and API link to that view."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 40


@pytest.fixture
def photographed(record, manager_a, retailer_a):
    visit = record(
        manager_a,
        retailer_a,
        photos=[
            SimpleUploadedFile("shelf.png", PNG, content_type="image/png"),
            SimpleUploadedFile("licence.jpg", JPEG, content_type="text/html"),  # the claim is ignored
        ],
    )
    png, jpeg = sorted(visit.photos.all(), key=lambda p: p.ext == ".jpg")
    return visit, png, jpeg


def _url(visit, photo):
    return reverse("visits:visit-photo", args=[visit.pk, photo.pk])


def test_the_owner_manager_gets_the_bytes_privately_with_the_stored_type(photographed, client_for, manager_a):
    visit, png, jpeg = photographed
    client = client_for(manager_a)
    response = client.get(_url(visit, png))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "no-store, private"  # a shop's and a person's picture: personal data
    assert response["X-Content-Type-Options"] == "nosniff"
    other = client.get(_url(visit, jpeg))
    assert (other["Content-Type"], b"".join(other.streaming_content)) == ("image/jpeg", JPEG)


def test_the_supervisor_of_the_department_sees_it_too(photographed, client_for, supervisor_a):
    visit, png, _jpeg = photographed
    assert client_for(supervisor_a).get(_url(visit, png)).status_code == 200


def test_another_territorys_manager_gets_404(photographed, client_for, manager_b):
    visit, png, _jpeg = photographed
    assert client_for(manager_b).get(_url(visit, png)).status_code == 404


def test_a_photo_under_another_visit_id_or_an_absurd_id_is_404(
    photographed, record, client_for, manager_a, retailer_a
):
    visit, png, _jpeg = photographed
    other_visit = record(manager_a, retailer_a)
    client = client_for(manager_a)
    assert client.get(reverse("visits:visit-photo", args=[other_visit.pk, png.pk])).status_code == 404
    assert client.get(f"/visits/log/{visit.pk}/photos/{2**63}/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(photographed, client):
    visit, png, _jpeg = photographed
    response = client.get(_url(visit, png))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL) + "?next=")


def test_the_page_and_the_api_link_to_the_checked_view_not_to_media(
    photographed, client_for, api_client_for, manager_a
):
    visit, png, jpeg = photographed
    page = client_for(manager_a).get(reverse("visits:visit-detail", args=[visit.pk])).content.decode()
    assert _url(visit, png) in page
    assert settings.MEDIA_URL not in page
    body = api_client_for(manager_a).get(f"/api/v1/visits/{visit.pk}/").json()
    assert sorted(body["photos"]) == sorted([_url(visit, png), _url(visit, jpeg)])
