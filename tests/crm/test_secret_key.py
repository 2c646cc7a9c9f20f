"""Without SECRET_KEY every install makes a key of its own, once, readable by its owner only; no install
shares a default that would let anyone mint the retailers' signed links."""

import os
import stat

from django.conf import settings

from crm.settings.env import DATA_DIR
from crm.settings.web import _local_secret_key


def test_a_key_is_made_once_private_and_reused(tmp_path):
    path = tmp_path / ".data" / "secret_key"
    first = _local_secret_key(path)
    assert len(first) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _local_secret_key(path) == first


def test_two_installs_get_different_keys(tmp_path):
    assert _local_secret_key(tmp_path / "a" / "secret_key") != _local_secret_key(
        tmp_path / "b" / "secret_key"
    )


def test_the_running_settings_use_the_install_key_not_a_shared_default():
    assert "insecure" not in settings.SECRET_KEY
    expected = os.environ.get("SECRET_KEY") or (DATA_DIR / "secret_key").read_text().strip()
    assert expected == settings.SECRET_KEY
