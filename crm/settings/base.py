"""Settings shared by every running mode. Values that differ per machine come from the environment."""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = BASE_DIR / ".data"

env = environ.Env()


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

REST_FRAMEWORK = {
    # Token first: an anonymous call is answered 401 with `WWW-Authenticate: Token` (the first class names the
    # scheme; a session alone has none to name and would make it a 403)
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.api_auth.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.ApiSchema",
    # every list is paged one way; a view that answers a bounded report (≤ a few dozen rows) says so with
    # `pagination_class = None` and a comment giving the bound
    "DEFAULT_PAGINATION_CLASS": "core.pagination.CursorPage",
    "EXCEPTION_HANDLER": "crm.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"user": "600/minute"},
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "烟草零售客户 CRM API",
    "DESCRIPTION": "Retailer records, scoped to the caller's territory. Token or session authentication.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # the schema names every field of the retailers' records: for logged-in staff and integrations only
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "campaigns.webhook_schema.gateway_webhooks",  # the gateway's signed webhooks are plain views
    ],
    # two API models have a "kind" with different choices: name both, so neither gets a hashed name
    "ENUM_NAME_OVERRIDES": {
        "KindEnum": "accounts.imports.models.ImportJob.Kind",
        "RecommendationKindEnum": "segmentation.models.Recommendation.Kind",
        # sms/email (consent events and campaigns share the values) and how a redemption was made
        "MessageChannelEnum": "campaigns.models.Channel",
        "RedemptionChannelEnum": "loyalty.rewards.models.Redemption.Channel",
        # complaints (feedback)
        "ComplaintChannelEnum": "feedback.models.complaints.Complaint.Channel",
        "ComplaintKindEnum": "feedback.models.complaints.Complaint.Kind",
        "ComplaintStatusEnum": "feedback.models.complaints.Complaint.Status",
        "ComplaintPriorityEnum": "feedback.models.complaints.Priority",
        "ComplaintEventKindEnum": "feedback.models.complaints.ComplaintEvent.Kind",
        "NotificationKindEnum": "feedback.models.complaints.Notification.Kind",
        # personal-information requests (privacy)
        "PrivacyRequestKindEnum": "privacy.models.PrivacyRequest.Kind",
        "PrivacyRequestChannelEnum": "privacy.models.PrivacyRequest.Channel",
    },
}

# Celery: Redis in production, kombu's filesystem transport on a machine with nothing but Python.
REDIS_URL = env("REDIS_URL", default="")
BROKER_DIR = Path(env("BROKER_DIR", default=str(DATA_DIR / "broker")))  # the filesystem broker, without Redis


def filesystem_broker(folder: Path) -> tuple[dict, str]:
    """kombu's filesystem transport options and a file result backend under `folder`, with every folder they
    name created here: Celery refuses a result folder that does not exist, and a fresh clone has none."""
    for sub in ("out", "processed", "control", "results"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    options = {
        "data_folder_in": str(folder / "out"),
        "data_folder_out": str(folder / "out"),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
        # kombu's default is ./control in the working directory (the repository): keep it with the broker
        "control_folder": str(folder / "control"),
    }
    # Results as files beside the broker, so a caller can wait on a task's result in every mode.
    return options, f"file://{folder / 'results'}"


if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS, CELERY_RESULT_BACKEND = filesystem_broker(BROKER_DIR)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Three queues, a worker each (Procfile, docker-compose.yml), so that no kind of work can starve another: an hour
# of nightly scoring or a large import never holds back a campaign's messages or a complaint's follow-up SMS.
# "sends": everything that talks to a carrier or a mail server, paced by the global send rate;
# "batch": the nightly and bulk work (scoring, points, plans, escalation sweeps, imports);
# "default": the small rest. Every task is named here (tests/crm/test_celery_queues.py enumerates them), so a
# new task has to choose; a worker started without -Q consumes all three.
CELERY_QUEUE_SENDS, CELERY_QUEUE_BATCH, CELERY_QUEUE_DEFAULT = "sends", "batch", "default"
CELERY_TASK_DEFAULT_QUEUE = CELERY_QUEUE_DEFAULT
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in ("sends", "batch", "default")]
_TASK_QUEUES = {
    CELERY_QUEUE_SENDS: [
        "campaigns.pump",
        "campaigns.start",
        "campaigns.dispatch_tick",
        "campaigns.noop",  # the dispatch benchmark's baseline runs where the sends run
        "feedback.notification_email",
        "feedback.notification_emails",
        "feedback.complaint_follow_up_sms",
    ],
    CELERY_QUEUE_BATCH: [
        "segmentation.scoring_run",
        "segmentation.nightly_scoring",
        "loyalty.points_award",
        "loyalty.points_award_catch_up",
        "loyalty.points_expire",
        "loyalty.level_recompute",
        "visits.plans_generate",
        "feedback.complaints_escalate",
        "feedback.complaints_deadlines_recompute",
        "accounts.import_job_validate",
        "accounts.import_job_commit",
        "accounts.duplicates_scan",
        "accounts.credit_grades_recompute",
        "sales.allocation_excess_refresh",
        "campaigns.send_log_retention",
    ],
    CELERY_QUEUE_DEFAULT: [
        "crm.tasks.heartbeat_task",
        "accounts.import_jobs_expire",
        "workspace.task_runs_prune",
        "cockpit.notice_emails",
    ],
}
# the cockpit's snapshots, alerts, digests and reports and the PIPL retention run with the other nightly batch work
_TASK_QUEUES[CELERY_QUEUE_BATCH] += [
    "cockpit.kpi_snapshots_refresh",
    "cockpit.kpi_alerts_check",
    "cockpit.weekly_digests",
    "cockpit.monthly_reports",
    "privacy.retention_anonymise",
]
CELERY_TASK_ROUTES = {task: {"queue": queue} for queue, tasks in _TASK_QUEUES.items() for task in tasks}

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A file cache is shared by web, worker and beat processes on one machine, as Redis would be.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="crm@localhost")

# ---- customer service (feedback/) ----------------------------------------------------------------------------------
# Office hours that complaint deadlines count in (working days come from the `holidays` calendar), Asia/Shanghai.
FEEDBACK_OFFICE_HOURS = [
    tuple(period.strip().split("-", 1))
    for period in env("FEEDBACK_OFFICE_HOURS", default="08:30-12:00,13:30-17:30").split(",")
    if period.strip()
]

# ---- outreach (campaigns/) ---------------------------------------------------------------------------------------
# Links in messages point here (the retailer opens them on a phone, without a login).
CAMPAIGNS_PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# Where the client's address is behind the proxy (e.g. HTTP_X_REAL_IP, or HTTP_X_FORWARDED_FOR whose last entry the
# proxy appends); used by the retailer links' rate limit. REMOTE_ADDR when the app faces the clients itself.
CLIENT_IP_HEADER = env("CLIENT_IP_HEADER", default="REMOTE_ADDR")
# Every SMS starts with the sender's signature (MIIT: 3-8 characters in 【】) and carries the opt-out wording.
CAMPAIGNS_SMS_SIGNATURE = env("SMS_SIGNATURE", default="【烟草公司】")
CAMPAIGNS_SMS_OPT_OUT_TEXT = "回T退订"
# SMS backend: "http" (the JSON gateway below; production), "console" (log), "file" (JSON lines in a folder).
CAMPAIGNS_SMS_BACKEND = env("SMS_BACKEND", default="console")
CAMPAIGNS_SMS_GATEWAY = {
    "URL": env("SMS_GATEWAY_URL", default=""),
    "ACCOUNT": env("SMS_GATEWAY_ACCOUNT", default=""),
    "SECRET": env("SMS_GATEWAY_SECRET", default=""),
    "BATCH_SIZE": env.int("SMS_GATEWAY_BATCH_SIZE", default=100),
    "TIMEOUT": env.float("SMS_GATEWAY_TIMEOUT", default=10.0),
}
CAMPAIGNS_SMS_FILE_DIR = env.path("SMS_FILE_DIR", default=DATA_DIR / "sms")
# Delivery receipts and replies are signed with this key (HMAC-SHA256); empty = webhooks answer 503.
CAMPAIGNS_WEBHOOK_SECRET = env("SMS_WEBHOOK_SECRET", default="")
CAMPAIGNS_WEBHOOK_MAX_SKEW_SECONDS = 300
# One global send rate shared by every worker: a token bucket in Redis (REDIS_URL set) or, without Redis, in the
# Django cache (the file cache under .data/cache in the embedded mode: good for one machine, not atomic across
# processes). The backend chosen is logged when a worker starts; there is no silent switch at run time.
CAMPAIGNS_RATE_LIMIT_PER_SECOND = env.int("SEND_RATE_LIMIT", default=200)
CAMPAIGNS_RATE_LIMIT_BACKEND = "redis" if REDIS_URL else "database"
# How late a sender may be between taking its tokens and the carrier receiving the message: the bucket refills
# slower by this share so that no carrier second ever carries more than the limit (campaigns/ratelimit.py).
CAMPAIGNS_RATE_LIMIT_LATENCY_SECONDS = env.int("SEND_RATE_LATENCY_MS", default=50) / 1000
# Deliveries per send task (one claim UPDATE, one gateway call, one result UPDATE), and send tasks run in
# parallel per campaign.
CAMPAIGNS_BATCH_SIZE = env.int("SEND_BATCH_SIZE", default=100)
CAMPAIGNS_PUMPS_PER_CAMPAIGN = env.int("SEND_PARALLEL_TASKS", default=4)
# A delivery claimed ("sending") longer than this is taken as lost with its worker and sent again with the same
# idempotency key (the gateway drops the duplicate).
CAMPAIGNS_SENDING_LEASE_SECONDS = env.int("SEND_LEASE_SECONDS", default=300)
# A sending campaign whose send tasks have not run for this long gets new ones from the minute tick.
CAMPAIGNS_PUMP_STALE_SECONDS = env.int("SEND_PUMP_STALE_SECONDS", default=90)
CAMPAIGNS_MAX_ATTEMPTS = 5
# At most this many marketing messages per retailer in a rolling window, across every campaign.
CAMPAIGNS_FREQUENCY_CAP = env.int("MARKETING_CAP", default=2)
# A licence that expires inside an allocation cycle: "prorate" allows the part of the cycle before expiry (the
# limit × valid days ÷ cycle days, rounded down), "none" allows nothing (an expired licence blocks supply).
ALLOCATION_EXPIRING_LICENCE = env.str("ALLOCATION_EXPIRING_LICENCE", default="prorate")
CAMPAIGNS_FREQUENCY_CAP_DAYS = env.int("MARKETING_CAP_DAYS", default=7)
# A campaign's uplift against its holdout is shown only when each group holds at least this many retailers;
# below it the page says 样本不足 (a handful of shops makes any difference noise).
CAMPAIGNS_UPLIFT_MIN_GROUP = env.int("UPLIFT_MIN_GROUP", default=30)
# The send log (deliveries) is kept at least five months (MIIT); the nightly retention job deletes older rows.
CAMPAIGNS_SEND_LOG_RETENTION_DAYS = max(env.int("SEND_LOG_RETENTION_DAYS", default=183), 153)
# PIPL: a retailer's request to see, correct or delete its data is answered within this many working days (China's
# working-day calendar, feedback.workcal); a closed retailer's personal data is anonymised this many days after it
# closed (privacy.retention_anonymise, nightly).
PRIVACY_RESPONSE_WORKING_DAYS = env.int("PRIVACY_RESPONSE_WORKING_DAYS", default=15)
PRIVACY_CLOSED_RETENTION_DAYS = env.int("PRIVACY_CLOSED_RETENTION_DAYS", default=3 * 365)

# The administrative region codes (first six licence digits) this company issues licences in.
# Org units carry their own region code; this list adds codes not yet tied to a unit.
CRM_EXTRA_REGION_CODES = env.list("CRM_EXTRA_REGION_CODES", default=[])
CRM_LICENCE_REMINDER_DAYS = (90, 60, 30)
# A retailer import row without a customer code (the licence office's files have none): "licence_no" gives a new
# retailer its licence number as customer code (an existing one keeps its code); "required" refuses the row.
CRM_IMPORT_CUSTOMER_CODE = env.str("CRM_IMPORT_CUSTOMER_CODE", default="licence_no")
if CRM_IMPORT_CUSTOMER_CODE not in ("licence_no", "required"):
    raise ImproperlyConfigured("CRM_IMPORT_CUSTOMER_CODE must be licence_no or required")

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
import pghistory  # noqa: E402

PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)
# ...but the object id stays indexed: the portrait reads a retailer's history by it.
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(db_index=True)
