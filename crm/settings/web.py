"""Django itself: the secret, apps and middleware, security headers, templates, databases, logins and sessions,
languages, files, mail, logging and history tables."""

import os
from pathlib import Path

import pghistory
from django.utils.translation import gettext_lazy as _

from crm.settings.env import BASE_DIR, DATA_DIR, env


def _local_secret_key(path: Path) -> str:
    """This install's own key when SECRET_KEY is not set: made once at random, kept in .data/ (0600).

    A default shared by every install would let anyone mint the retailers' signed links (/r/…, /loyalty/m/…)
    and forge sessions on any install left at the default."""
    import secrets

    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


SECRET_KEY = env("SECRET_KEY", default="") or _local_secret_key(DATA_DIR / "secret_key")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_celery_beat",
    "pgtrigger",
    "pghistory",
    "users.apps.LoginThrottleConfig",  # django-axes, with a translated name in the admin
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "users",
    "accounts",
    "sales",
    "segmentation",
    "campaigns",
    "loyalty",
    "feedback",
    "visits",
    "fieldapp",
    "workspace",
    "cockpit",
    "privacy",
    "crm",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.NoStoreMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # the language: the one chosen with the switch (a cookie, also on the login page), else the browser's
    # Accept-Language when it asks for one we have, else LANGUAGE_CODE (zh-hans)
    "django.middleware.locale.LocaleMiddleware",
    "crm.middleware.RejectNulMiddleware",
    "core.middleware.UnknownQueryParameterMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.ReadAfterWriteMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "users.middleware.IdleSessionMiddleware",
    "users.middleware.TwoFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    # axes last, as its docs require, so it sees the outcome of authentication
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy (core.middleware.SecurityHeadersMiddleware): every script is a file of this site (no
# inline <script>, no on*= attributes, no eval); <style> elements likewise, while style="" attributes stay allowed
# (Bootstrap's utilities and a few widths). Images may be data: URIs (Bootstrap's icons in CSS) and blob: (the
# visit form's photo previews). Nothing may frame the pages.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'"],
    "manifest-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Permissions-Policy: location and camera only for the pages that use them (the visit form and its re-display after
# a refused submission, the day route ordered from the phone's position); refused everywhere else.
DEVICE_PERMISSION_PATHS = [r"^/visits/retailers/\d+/(new|record)/$", r"^/visits/route/$"]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# Every running mode is PostgreSQL; `make run`/`make test` export DATABASE_URL for the embedded server.
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A streaming replica of that database (optional): reports, exports, the cockpit, the explorer and the API's lists
# read from it while its lag is at most REPLICA_MAX_LAG_SECONDS (measured at most every REPLICA_LAG_CHECK_SECONDS)
# and the user has not just written; everything else, and every write, is the primary's (core/replica.py).
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # a replica that does not answer costs a page a few seconds once, then is skipped until the next check
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=30.0)
REPLICA_LAG_CHECK_SECONDS = env.int("REPLICA_LAG_CHECK_SECONDS", default=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "crm.roles.RolePermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sessions (users.sessions: database sessions that know their user, so disabling a login ends them all at once).
# A session ends after SESSION_IDLE_TIMEOUT seconds without a request (users.middleware.IdleSessionMiddleware: a
# phone left in a shop or passed on), and SESSION_MAX_AGE after login whatever happens (one working day).
SESSION_ENGINE = "users.sessions"
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_COOKIE_AGE = env.int("SESSION_MAX_AGE", default=12 * 60 * 60)
# How often a phone refreshes its offline copies (fieldapp: the home page, today's and tomorrow's lists, and each of
# their shops' portrait and visit form — about 125 pages for a manager with 60 shops a day, fetched one by one).
# Every 10 minutes, 160 phones kept two cores busy with nothing else (load test, issue 18); the copies say their
# age, and a phone refreshes at once after a login and when it comes back online past this interval.
FIELD_OFFLINE_REFRESH_SECONDS = env.int("FIELD_OFFLINE_REFRESH_SECONDS", default=60 * 60)
# Two-factor authentication (django-otp, TOTP + recovery codes; users/twofactor/): required of these roles and of
# superusers, and on the Django admin of every staff user; the other roles may enrol (and then must use it).
OTP_REQUIRED_ROLES = env.list("OTP_REQUIRED_ROLES", default=["admin", "supervisor"])
OTP_TOTP_ISSUER = env("OTP_ISSUER", default="烟草营销 CRM")
# API tokens (users.ApiToken): valid this many days unless the admin says otherwise, never longer than the maximum.
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=180)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=366)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (crm/login_throttle.py): 5 failures per username+IP lock that pair, 30 failures from one IP
# whatever the user names (password spraying) lock that address, each for 15 minutes.
LOGIN_FAILURES_PER_USER = env.int("AXES_FAILURE_LIMIT", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("AXES_IP_FAILURE_LIMIT", default=30)
AXES_FAILURE_LIMIT = "crm.login_throttle.failure_limit"
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True  # the pair's failures only: crm.login_throttle.PairResetHandler
AXES_HANDLER = "crm.login_throttle.PairResetHandler"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# the switch's choice outlives the 12-hour session: a shared phone keeps the language its people read
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=DATA_DIR / "media")
# where `manage.py backup` writes its timestamped folders (crm.backup)
BACKUP_DIR = env.path("BACKUP_DIR", default=DATA_DIR / "backups")
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Source maps are fetched only by a developer's browser tools: not worth compressing (brotli on the API docs'
# multi-megabyte maps was most of every collectstatic, which `make run` and `make test` each do).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (
    *("jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br", "swf", "flv"),
    *("woff", "woff2", "3gp", "3gpp", "asf", "avi", "m4v", "mov", "mp4", "mpeg", "mpg", "webm", "wmv"),
    "map",
)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="crm@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# History tables are written on every retailer change and read by object id only: no extra indexes on the
# copied foreign keys (each would cost every import a B-tree insert per row).
PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)
# ...but the object id stays indexed: the portrait reads a retailer's history by it.
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(db_index=True)
