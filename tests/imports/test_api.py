"""The imports REST API: upload (multipart) → validation task → status, errors → commit → done."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from accounts.imports.models import ImportJob
from accounts.models import Retailer
from tests.imports.helpers import csv_bytes, retailer_row

URL = "/api/v1/imports/"


def csv_file(rows, name="零售户.csv", encoding="gbk"):
    return SimpleUploadedFile(name, csv_bytes(rows, encoding=encoding), content_type="text/csv")


@pytest.fixture
def api(api_client_for, county_a_world):
    return api_client_for(county_a_world)


def upload(api, capture, *, rows=None, kind="retailers", mode="valid", **extra):
    rows = rows if rows is not None else [retailer_row(1), retailer_row(2, 手机号="110"), retailer_row(3)]
    with capture(execute=True):
        return api.post(
            URL, {"kind": kind, "file": csv_file(rows), "mode": mode, **extra}, format="multipart"
        )


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_upload_validate_review_and_commit_through_the_api(
    api, celery_eager, django_capture_on_commit_callbacks
):
    response = upload(api, django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    assert response.json()["status"] == "uploaded"  # the answer comes before the task runs
    assert response.json()["original_name"] == "零售户.csv"

    status = api.get(f"{URL}{job_id}/")
    assert status.status_code == 200
    body = status.json()
    assert (body["status"], body["encoding"], body["file_format"]) == ("validated", "gbk", "csv")
    assert (body["total_rows"], body["valid_rows"], body["invalid_rows"]) == (3, 2, 1)
    assert body["column_mapping"]["licence_no"] == "许可证号"
    assert body["preview"]["rows"][1]["errors"]

    errors = api.get(f"{URL}{job_id}/errors/")
    assert errors.status_code == 200
    results = errors.json()["results"]
    assert [(e["row_no"], e["column"]) for e in results] == [(3, "mobile")]
    assert "不是有效的" in results[0]["message"]
    assert not Retailer.objects.exists()  # nothing imported before the commit

    with django_capture_on_commit_callbacks(execute=True):
        commit = api.post(f"{URL}{job_id}/commit/")
    assert commit.status_code == 202
    assert commit.json()["status"] == "committing"

    done = api.get(f"{URL}{job_id}/").json()
    assert done["status"] == "done"
    assert (
        done["created_count"],
        done["updated_count"],
        done["unchanged_count"],
        done["rejected_count"],
    ) == (
        2,
        0,
        0,
        1,
    )
    assert sorted(Retailer.objects.values_list("licence_no", flat=True)) == ["410302100001", "410302100003"]

    again = api.post(f"{URL}{job_id}/commit/")
    assert again.status_code == 409
    assert "detail" in again.json()


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_all_or_nothing_commit_of_a_file_with_errors_is_refused(
    api, celery_eager, django_capture_on_commit_callbacks
):
    job_id = upload(api, django_capture_on_commit_callbacks, mode="all").json()["id"]
    response = api.post(f"{URL}{job_id}/commit/")
    assert response.status_code == 400
    assert "文件有 1 行错误" in response.json()["non_field_errors"][0]
    assert ImportJob.objects.get(pk=job_id).status == "validated"
    # the user may switch to valid rows only on commit
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{URL}{job_id}/commit/", {"mode": "valid"})
    assert response.status_code == 202
    assert ImportJob.objects.get(pk=job_id).status == "done"
    assert Retailer.objects.count() == 2


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_an_unreadable_file_fails_the_job_with_a_message(
    api, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            URL,
            {"kind": "retailers", "file": SimpleUploadedFile("x.csv", "客户编码\n老城".encode("utf-16"))},
            format="multipart",
        )
    body = api.get(f"{URL}{response.json()['id']}/").json()
    assert body["status"] == "failed"
    assert body["message"].startswith("无法识别文件编码")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "customers"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"mode": "sometimes"}, "mode"),
        ({"encoding": "big5"}, "encoding"),
        ({"file": None}, "file"),
        ({"file": "not a file"}, "file"),
        ({"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4")}, "file"),
        ({"file": SimpleUploadedFile("empty.csv", b"")}, "file"),
    ],
)
def test_bad_uploads_answer_400_naming_the_field(api, data, field):
    body = {"kind": "retailers", "file": csv_file([retailer_row(1)]), "mode": "valid", **data}
    body = {k: v for k, v in body.items() if v is not None}
    response = api.post(URL, body, format="multipart")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not ImportJob.objects.exists()


def test_another_users_job_answers_404(api, api_client_for, county_b):
    from tests.users.factories import SupervisorFactory

    job_id = api.post(
        URL, {"kind": "retailers", "file": csv_file([retailer_row(1)])}, format="multipart"
    ).json()["id"]
    other = api_client_for(SupervisorFactory(org_unit=county_b))
    assert other.get(f"{URL}{job_id}/").status_code == 404
    assert other.get(f"{URL}{job_id}/errors/").status_code == 404
    assert other.post(f"{URL}{job_id}/commit/").status_code == 404
    assert job_id not in [j["id"] for j in other.get(URL).json()["results"]]
    assert [j["id"] for j in api.get(URL).json()["results"]] == [job_id]


def test_company_admin_sees_every_job(api, api_client_for, company_admin):
    job_id = api.post(
        URL, {"kind": "retailers", "file": csv_file([retailer_row(1)])}, format="multipart"
    ).json()["id"]
    assert api_client_for(company_admin).get(f"{URL}{job_id}/").status_code == 200


def test_a_user_without_the_import_permission_gets_403(api_client_for, manager_a):
    response = api_client_for(manager_a).post(
        URL, {"kind": "retailers", "file": csv_file([retailer_row(1)])}, format="multipart"
    )
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_anonymous_upload_is_refused(db):
    from rest_framework.test import APIClient

    response = APIClient().post(
        URL, {"kind": "retailers", "file": csv_file([retailer_row(1)])}, format="multipart"
    )
    assert response.status_code == 401
    assert not ImportJob.objects.exists()


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_an_integration_uploads_with_a_token(
    token_client_for, integration_user, route_a, route_b, celery_eager, django_capture_on_commit_callbacks
):
    api = token_client_for(integration_user)
    rows = [retailer_row(1), retailer_row(2, region="410305", 营销部="涧西营销一部", 服务线路="JX-B01")]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            URL, {"kind": "retailers", "file": csv_file(rows), "mode": "all"}, format="multipart"
        )
    assert response.status_code == 201
    job_id = response.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"{URL}{job_id}/commit/").status_code == 202
    assert api.get(f"{URL}{job_id}/").json()["created_count"] == 2


def test_errors_are_paged_a_hundred_at_a_time(api, county_a_world):
    from tests.imports.helpers import validated_job

    rows = [retailer_row(n, 档位="99") for n in range(1, 151)]
    job = validated_job(user=county_a_world, content=csv_bytes(rows))
    first = api.get(f"{URL}{job.pk}/errors/").json()
    assert len(first["results"]) == 100
    assert first["next"]
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 50
    assert {e["row_no"] for e in first["results"] + second["results"]} == set(range(2, 152))
