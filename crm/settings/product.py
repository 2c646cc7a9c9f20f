"""The product's own settings, by app: customer service, outreach, allocation, privacy, licences and imports."""

from django.core.exceptions import ImproperlyConfigured

from crm.settings.broker import REDIS_URL
from crm.settings.env import DATA_DIR, env

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
# order history months older than this many years are detached, dumped under BACKUP_DIR/order-history and
# dropped by the nightly partition upkeep (sales/partitions.py); 0 keeps every month
ORDER_RETENTION_YEARS = max(env.int("ORDER_RETENTION_YEARS", default=0), 0)
# PIPL: a retailer's request to see, correct or delete its data is answered within this many working days (China's
# working-day calendar, feedback.complaints.workcal); a closed retailer's personal data is anonymised this many days after it
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
