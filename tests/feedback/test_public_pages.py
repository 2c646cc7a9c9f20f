"""The retailer's complaint pages behind its PORTAL link and the rating page behind a COMPLAINT_RATING link:
filing, following, rating once; tampered, expired, wrong-purpose, reused and other-retailer links refused."""

import datetime
import time

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from core.links import TOKEN_LIMIT, retailer_link_make
from feedback.complaints.models import Complaint
from feedback.complaints.services.workflow import complaint_note_add, complaint_resolve, complaint_start
from feedback.portal.links import COMPLAINT_RATING
from tests.feedback.factories import not_an_image, open_complaint, png

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limit", "on_weekday")]


def _url(name, *args):
    return reverse(f"feedback-public:{name}", args=args)


def test_a_retailer_files_a_complaint_with_a_photo_and_sees_it(retailer_a, manager_a, portal_token):
    token = portal_token(retailer_a)
    client = Client()
    page = client.get(_url("public-complaint-new", token))
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store, private"
    assert page["Referrer-Policy"] == "same-origin"
    response = client.post(
        _url("public-complaint-new", token),
        {"kind": "complaint", "category": "delivery", "description": "上周的货少送了两条。", "photo": png()},
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("public-complaint-detail", token, complaint.pk)
    assert (complaint.retailer, complaint.channel, complaint.assignee) == (retailer_a, "web", manager_a)
    assert complaint.opened_by is None
    assert complaint.photos.count() == 1
    detail = client.get(_url("public-complaint-detail", token, complaint.pk)).content.decode()
    assert "上周的货少送了两条。" in detail
    assert f"已收到，编号 {complaint.pk}" in detail
    listing = client.get(_url("public-complaint-list", token))
    assert "配送服务" in listing.content.decode()


def test_bad_input_on_the_public_form_is_shown_and_nothing_filed(retailer_a, portal_token):
    token = portal_token(retailer_a)
    response = Client().post(
        _url("public-complaint-new", token),
        {"kind": "complaint", "category": "delivery", "description": "短", "photo": not_an_image()},
    )
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    response = Client().post(
        _url("public-complaint-new", token),
        {"kind": "complaint", "category": "delivery", "description": "货少送了两条", "photo": not_an_image()},
    )
    assert "JPEG" in response.content.decode()
    assert Complaint.objects.count() == 0


def test_the_retailer_sees_only_what_it_may_see_of_its_case(retailer_a, manager_a, portal_token):
    complaint = open_complaint(retailer_a)
    complaint_note_add(complaint=complaint, actor=manager_a, text="内部：该户上月违规", internal=True)
    complaint_note_add(complaint=complaint, actor=manager_a, text="已联系配送中心补送", internal=False)
    page = (
        Client().get(_url("public-complaint-detail", portal_token(retailer_a), complaint.pk)).content.decode()
    )
    assert "已联系配送中心补送" in page
    assert "该户上月违规" not in page
    assert manager_a.display_name not in page


def test_another_retailers_complaint_answers_404(retailer_a, retailer_b, portal_token):
    theirs = open_complaint(retailer_b)
    response = Client().get(_url("public-complaint-detail", portal_token(retailer_a), theirs.pk))
    assert response.status_code == 404
    mine = open_complaint(retailer_a, "quality", description="本店的质量问题")
    listing = Client().get(_url("public-complaint-list", portal_token(retailer_a))).content.decode()
    assert f"/complaints/{mine.pk}/" in listing
    assert f"/complaints/{theirs.pk}/" not in listing


@pytest.mark.parametrize("page", ["public-complaint-list", "public-complaint-new"])
def test_tampered_expired_and_wrong_purpose_links_are_refused(retailer_a, portal_token, monkeypatch, page):
    token = portal_token(retailer_a)
    tampered = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    assert Client().get(_url(page, tampered)).status_code == 404
    rating_token = retailer_link_make(retailer_id=retailer_a.pk, purpose=COMPLAINT_RATING, ref=1)
    assert Client().get(_url(page, rating_token)).status_code == 404
    later = time.time() + datetime.timedelta(days=31).total_seconds()  # the real clock: tokens carry it
    monkeypatch.setattr(signing.time, "time", lambda: later)
    expired = Client().get(_url(page, token))
    assert expired.status_code == 404
    assert "已过期" in expired.content.decode()


def test_a_link_used_too_often_is_held_back(retailer_a, portal_token):
    token = portal_token(retailer_a)
    client = Client()
    codes = [client.get(_url("public-complaint-list", token)).status_code for _ in range(TOKEN_LIMIT + 1)]
    assert codes[:-1] == [200] * TOKEN_LIMIT
    assert codes[-1] == 429


def test_a_closed_shops_link_no_longer_opens(retailer_a, portal_token):
    token = portal_token(retailer_a)
    type(retailer_a).objects.filter(pk=retailer_a.pk).update(status="closed")
    assert Client().get(_url("public-complaint-list", token)).status_code == 404


# --- the rating link --------------------------------------------------------------------------------------------


@pytest.fixture
def resolved(retailer_a, manager_a):
    complaint = open_complaint(retailer_a)
    complaint_start(complaint=complaint, actor=manager_a)
    complaint_resolve(complaint=complaint, actor=manager_a, resolution="已补送两条。")
    return complaint


def _rating_token(complaint, retailer_id=None):
    return retailer_link_make(
        retailer_id=retailer_id or complaint.retailer_id, purpose=COMPLAINT_RATING, ref=complaint.pk
    )


def test_the_rating_link_takes_one_rating_and_refuses_a_second(resolved):
    token = _rating_token(resolved)
    client = Client()
    assert client.get(_url("complaint-rate", token)).status_code == 200
    first = client.post(_url("complaint-rate", token), {"rating": "4", "comment": "处理及时"})
    assert first.status_code == 200
    assert "您的评价：4 分" in first.content.decode()
    resolved.refresh_from_db()
    assert (resolved.rating, resolved.rating_comment) == (4, "处理及时")
    second = client.post(_url("complaint-rate", token), {"rating": "1"})
    assert second.status_code == 409
    assert "已经评价过" in second.content.decode()
    resolved.refresh_from_db()
    assert resolved.rating == 4


def test_a_rating_link_for_another_retailers_case_answers_404(resolved, retailer_b):
    token = _rating_token(resolved, retailer_id=retailer_b.pk)
    assert Client().get(_url("complaint-rate", token)).status_code == 404
    assert Client().post(_url("complaint-rate", token), {"rating": "1"}).status_code == 404
    resolved.refresh_from_db()
    assert resolved.rating is None


def test_a_portal_link_does_not_open_the_rating_page(resolved, portal_token):
    assert Client().get(_url("complaint-rate", portal_token(resolved.retailer))).status_code == 404


def test_an_expired_rating_link_is_refused(resolved, monkeypatch):
    token = _rating_token(resolved)
    later = time.time() + datetime.timedelta(days=15).total_seconds()
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert Client().post(_url("complaint-rate", token), {"rating": "5"}).status_code == 404
    resolved.refresh_from_db()
    assert resolved.rating is None


def test_a_double_submission_files_one_complaint(retailer_a, portal_token):
    token = portal_token(retailer_a)
    client = Client()
    body = {"kind": "complaint", "category": "delivery", "description": "货少送了两条，请补送。"}
    first = client.post(_url("public-complaint-new", token), body)
    second = client.post(_url("public-complaint-new", token), body)
    complaint = Complaint.objects.get()
    assert first["Location"] == second["Location"] == _url("public-complaint-detail", token, complaint.pk)
    assert "无需重复提交" in client.get(second["Location"]).content.decode()
