"""The test suite: fast hashing, in-memory mail, the same PostgreSQL as every other mode."""

import os

from crm.settings.base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# No read replica whatever the environment says: a test reads what it has just written, inside its transaction;
# tests/core/test_replica.py starts a real streaming replica of its own.
DATABASES.pop("replica", None)  # noqa: F405
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}  # noqa: F405
LOGIN_FAILURES_PER_USER = 5
LOGIN_FAILURES_PER_ADDRESS = 30

# Tests keep their own broker folder and cache so a running `make run` never picks up a test's messages; each
# pytest-xdist worker (`make test` runs several) has its own, as it has its own test database.
if not REDIS_URL:  # noqa: F405
    _WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
    CELERY_BROKER_TRANSPORT_OPTIONS, CELERY_RESULT_BACKEND = filesystem_broker(  # noqa: F405
        DATA_DIR / f"broker-test{_WORKER}"  # noqa: F405
    )
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / f"cache-test{_WORKER}"),  # noqa: F405
        }
    }
