"""Login throttling by django-axes: five failures lock the username from this address; thirty from one address
lock it whatever the user names (password spraying)."""

import pytest
from django.conf import settings

from tests.users.factories import PASSWORD, ManagerFactory

LOGIN_URL = "/login/"


@pytest.fixture
def user(db):
    return ManagerFactory(username="wangwei")


def attempt(client, password, username="wangwei"):
    return client.post(LOGIN_URL, {"username": username, "password": password})


def test_right_password_logs_in(user, client):
    response = attempt(client, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_wrong_password_shows_the_form_again(user, client):
    response = attempt(client, "wrong")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_login_before_the_limit_still_works(user, client):
    for _ in range(settings.LOGIN_FAILURES_PER_USER - 1):
        assert attempt(client, "wrong").status_code == 200
    response = attempt(client, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_five_failures_lock_out_even_the_right_password(user, client):
    assert settings.LOGIN_FAILURES_PER_USER == 5
    for _ in range(4):
        assert attempt(client, "wrong").status_code == 200
    assert attempt(client, "wrong").status_code == 429  # the fifth failure reaches the limit
    response = attempt(client, PASSWORD)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_username(user, client):
    other = ManagerFactory(username="lina")
    for _ in range(5):
        attempt(client, "wrong")
    assert attempt(client, PASSWORD).status_code == 429
    response = attempt(client, PASSWORD, username=other.username)
    assert response.status_code == 302


def test_success_resets_the_failure_count(user, client):
    for _ in range(4):
        attempt(client, "wrong")
    assert attempt(client, PASSWORD).status_code == 302
    client.post("/logout/")
    for _ in range(4):
        assert attempt(client, "wrong").status_code == 200
    assert attempt(client, PASSWORD).status_code == 302


def test_password_spraying_across_user_names_locks_the_address(user, client):
    """One wrong password tried against many accounts never reaches a per-account limit; the address's does."""
    assert settings.LOGIN_FAILURES_PER_ADDRESS == 30
    for n in range(settings.LOGIN_FAILURES_PER_ADDRESS - 1):
        assert attempt(client, "wrong", username=f"sprayed{n}").status_code == 200
    assert attempt(client, "wrong", username="sprayed-last").status_code == 429
    response = attempt(client, PASSWORD)  # even a real account with its right password, from that address
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    other_address = client.post(
        LOGIN_URL, {"username": "wangwei", "password": PASSWORD}, REMOTE_ADDR="10.9.8.7"
    )
    assert other_address.status_code == 302


def test_a_successful_login_does_not_reset_the_address_count(user, client):
    """A sprayer holding one valid account cannot wipe the address's count by logging in between guesses."""
    for n in range(settings.LOGIN_FAILURES_PER_ADDRESS - 2):
        assert attempt(client, "wrong", username=f"sprayed{n}").status_code == 200
    assert attempt(client, PASSWORD).status_code == 302
    client.post("/logout/")
    assert attempt(client, "wrong", username="sprayed-next").status_code == 200
    assert attempt(client, "wrong", username="sprayed-last").status_code == 429
