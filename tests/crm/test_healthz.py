"""/healthz: 200 when the database and the broker answer, 503 naming the one that does not."""

from pathlib import Path

import pytest
from django.conf import settings

from crm.celery_app import app as celery_app


@pytest.fixture
def broker_folder():
    """The filesystem broker's folder, as `make run` creates it (only when no Redis is configured)."""
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        for key in ("data_folder_out", "data_folder_in", "processed_folder"):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


def test_healthz_is_ok_when_database_and_broker_answer(db, client, broker_folder):
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_needs_no_login(db, client, broker_folder):
    assert client.get("/healthz").status_code == 200


def test_healthz_answers_503_naming_an_unreachable_broker(db, client, monkeypatch):
    # port 1 is never a Redis server; the app reads its configuration at call time, so swap it for this test
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(celery_app.conf, "broker_write_url", None)
    monkeypatch.setitem(celery_app.conf, "broker_transport_options", {})
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["broker"].startswith("error")


def test_healthz_answers_503_when_the_broker_folder_is_missing(db, client, monkeypatch, tmp_path):
    missing = tmp_path / "no-such-folder"
    monkeypatch.setitem(celery_app.conf, "broker_url", "filesystem://")
    monkeypatch.setitem(celery_app.conf, "broker_write_url", None)
    monkeypatch.setitem(
        celery_app.conf,
        "broker_transport_options",
        {"data_folder_in": str(missing), "data_folder_out": str(missing), "processed_folder": str(missing)},
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert str(missing) in response.json()["broker"]


def test_healthz_answers_503_when_the_database_is_down(db, client, broker_folder, monkeypatch):
    from django.db import connection

    def refuse(*args, **kwargs):
        raise ConnectionError("database is down")

    with monkeypatch.context() as patch:  # undone before the test database is rolled back
        patch.setattr(connection, "cursor", refuse)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"].startswith("error")
