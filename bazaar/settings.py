"""Bazaar settings: one module, every deploy-specific value from the environment.

Defaults are for a developer's machine (`make run`): SQLite under `data/`, DEBUG off unless asked
for, a generated-per-checkout secret. Production sets at least SECRET_KEY, ALLOWED_HOSTS and
DATABASE_URL (see README "Production").
"""

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("BAZAAR_DATA_DIR", BASE_DIR / "data"))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _local_secret_key() -> str:
    """A secret kept in the data directory so that a developer's sessions survive restarts."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or _local_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets, served by the app (offline /api/docs/)
    "knox",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "bazaar.api",
    "bazaar.idempotency",
    "bazaar.accounts",
    "bazaar.customers",
    "bazaar.geo",
    "bazaar.media",
    "bazaar.catalog",
    "bazaar.methods",
    "bazaar.coupons",
    "bazaar.orders",
    "bazaar.feed",
    "bazaar.fulfilment",
    "bazaar.webhooks",
    "bazaar.demo",
    "bazaar.jobs",
]

MIDDLEWARE = [
    "bazaar.api.middleware.RequestIdMiddleware",  # first: every response carries X-Request-ID
    "bazaar.api.middleware.ChunkedBodyMiddleware",  # next: everything after reads the body
    "bazaar.api.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "bazaar.db.middleware.ReplicaRoutingMiddleware",  # removes itself without replicas
]

ROOT_URLCONF = "bazaar.urls"
WSGI_APPLICATION = "bazaar.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "bazaar" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'db.sqlite3'}"
# A psycopg connection pool per process (and per database) of at most DB_POOL_SIZE connections,
# instead of one persistent connection per thread. Off (0) by default: gunicorn's sync workers
# are processes serving one request at a time, for which a persistent connection is already the
# pool; set it to the threads per process with --threads, or in front of a server that limits
# connections. CONN_MAX_AGE is 0 with it (Django's pool and persistent connections exclude each
# other), and the pool checks a connection before lending it (CONN_HEALTH_CHECKS).
DB_POOL_SIZE = env_int("DB_POOL_SIZE", 0)
# Behind PgBouncer in transaction mode each transaction may run on another server connection:
# no server-side (named, WITH HOLD) cursors and no prepared statements (Django's psycopg
# default, prepare_threshold=None, instead of the read path's; see database_settings), and no
# `options` startup parameter, which PgBouncer refuses. The session settings Django makes (time
# zone, client encoding) are parameters PgBouncer tracks and restores per client.
DATABASE_BEHIND_PGBOUNCER = env_bool("DATABASE_BEHIND_PGBOUNCER", False)
PREPARE_ONLY_WHEN_ASKED = 2**31 - 1  # psycopg's prepare_threshold: executions before preparing


def database_settings(url: str) -> dict:
    """One DATABASES entry from a URL, with this project's connection options."""
    db = dj_database_url.parse(url, conn_max_age=env_int("CONN_MAX_AGE", 60))
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside a writer; IMMEDIATE takes the write lock at BEGIN so that
        # concurrent writers queue on busy_timeout instead of failing with "database is locked"
        # when a read lock cannot be upgraded mid-transaction.
        db["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
        # A file (not the in-memory default) so that tests with real threads share one database.
        db["TEST"] = {"NAME": str(DATA_DIR / "test_db.sqlite3")}
        db["CONN_MAX_AGE"] = 0
        return db
    db["CONN_HEALTH_CHECKS"] = True
    db.setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 3)
    # A database that vanishes silently (no reset, no refusal) must not hold a worker until
    # gunicorn kills it: TCP keepalives notice a dead idle connection, and data left
    # unacknowledged for DB_TCP_USER_TIMEOUT ms ends the connection (a 503 for that request).
    db["OPTIONS"].update(
        keepalives=1,
        keepalives_idle=30,
        keepalives_interval=10,
        keepalives_count=3,
        tcp_user_timeout=env_int("DB_TCP_USER_TIMEOUT", 15_000),
    )
    if DB_POOL_SIZE:
        db["CONN_MAX_AGE"] = 0
        db["OPTIONS"]["pool"] = {
            "min_size": 1,
            "max_size": DB_POOL_SIZE,
            # Waiting for a free connection longer than a connection attempt may take is a 503.
            "timeout": 2 * db["OPTIONS"]["connect_timeout"],
        }
    if DATABASE_BEHIND_PGBOUNCER:
        db["DISABLE_SERVER_SIDE_CURSORS"] = True
    else:
        # The order read path's fixed statements are prepared (bazaar.db.prepared): psycopg
        # prepares only what asks (a threshold never reached keeps the ORM's queries as they
        # are), and PostgreSQL keeps one plan for them rather than re-planning each execution
        # for its ids (a custom plan), which is the cost preparing is for. Only prepared
        # statements (and PL/pgSQL's, the triggers' lookups by key) heed plan_cache_mode.
        db["OPTIONS"]["prepare_threshold"] = PREPARE_ONLY_WHEN_ASKED
        options = db["OPTIONS"].get("options", "")
        db["OPTIONS"]["options"] = f"{options} -c plan_cache_mode=force_generic_plan".strip()
    return db


DATABASES = {"default": database_settings(DATABASE_URL)}

# Read replicas (SPEC §17): DATABASE_REPLICA_URL, comma-separated, adds the aliases replica1,
# replica2, ...; bazaar.db routes the reads of read-only API requests to them. None configured:
# no router and no middleware work, every query on "default".
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URL")
# A replica further behind than this (seconds) is skipped until it catches up.
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS") or 5)
# How long a token's reads stay on the primary after it wrote. Longer than the largest lag a
# replica may be used at (plus the second its measured lag may be old), so that once the mark
# expires the replica it reads from has the write.
READ_YOUR_WRITES_SECONDS = float(
    os.environ.get("READ_YOUR_WRITES_SECONDS") or REPLICA_MAX_LAG_SECONDS + 1
)
for _number, _url in enumerate(DATABASE_REPLICA_URLS, start=1):
    _replica = database_settings(_url)
    if _replica["ENGINE"] != "django.db.backends.postgresql":
        raise ValueError("DATABASE_REPLICA_URL takes postgres:// URLs (streaming replicas)")
    _replica["TEST"] = {"MIRROR": "default"}  # tests never create a database for it
    DATABASES[f"replica{_number}"] = _replica
if DATABASE_REPLICA_URLS:
    DATABASE_ROUTERS = ["bazaar.db.routing.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Shared state (throttle counters, caches): Redis when configured, else the database ---------
REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"IGNORE_EXCEPTIONS": False},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "bazaar_cache",
        }
    }

# --- Background work (Django's Tasks API, the django-tasks backport) ----------------------------
# The queue is the database by default: a task enqueued inside a transaction is committed or
# rolled back with it, and `run_worker` claims each task with a row lock, so any number of
# workers on any number of hosts run each task once. With TASKS_BACKEND=rq (the default when
# REDIS_URL is set) tasks go to RQ on that Redis instead, enqueued once the transaction commits.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND") or ("rq" if REDIS_URL else "database")
if TASKS_BACKEND not in {"database", "rq"}:
    raise ValueError(f"TASKS_BACKEND must be 'database' or 'rq', not {TASKS_BACKEND!r}")
TASKS = {
    "default": {
        "BACKEND": "django_tasks_rq.RQBackend"
        if TASKS_BACKEND == "rq"
        else "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# One status write in this many enqueues the tally compaction (bazaar.jobs.tasks; 1: every one).
COMPACT_TALLIES_ONE_IN = env_int("COMPACT_TALLIES_ONE_IN", 500)
# The change feed (SPEC §15): a cursor is valid this many days (410 after); rows are kept a day
# longer; one feed write in FEED_PURGE_ONE_IN enqueues the purge (bazaar.feed.tasks).
FEED_CURSOR_MAX_AGE_DAYS = env_int("FEED_CURSOR_MAX_AGE_DAYS", 7)
FEED_PURGE_ONE_IN = env_int("FEED_PURGE_ONE_IN", 1000)
# Idempotency keys (SPEC §13) are kept a day; one stored answer in IDEMPOTENCY_PURGE_ONE_IN
# enqueues the purge of the expired ones (bazaar.idempotency.tasks).
IDEMPOTENCY_PURGE_ONE_IN = env_int("IDEMPOTENCY_PURGE_ONE_IN", 1000)
# The CSV export (SPEC §15) reads the orders in batches of this many.
EXPORT_BATCH_SIZE = env_int("EXPORT_BATCH_SIZE", 500)
RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 300}}

# --- Webhooks (SPEC §15, docs/webhooks.md) -------------------------------------------------------
# Plain http:// URLs, and URLs whose host is or resolves to a loopback, private, link-local or
# other non-public address: refused unless these are true (development, tests).
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", False)
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
# A delivery succeeds with a 2xx answer within this many seconds.
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS") or 10)
# Each worker attempts the due deliveries nobody is sending this often (lost enqueues); 0: only
# when it starts.
WEBHOOK_SWEEP_SECONDS = float(os.environ.get("WEBHOOK_SWEEP_SECONDS") or 60)
# The site's public address (https://shop.example): image URLs in webhook bodies are made
# absolute with it, as the API makes them absolute with the request's host. Empty: paths.
WEBHOOK_BASE_URL = os.environ.get("WEBHOOK_BASE_URL", "")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Locale and time -----------------------------------------------------------------------------
APPEND_SLASH = False  # routes accept both forms; a redirect would drop POST bodies
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fa", "فارسی")]
# The project's own catalogue (bazaar/i18n.py); the .mo is compiled by `make install`.
LOCALE_PATHS = [BASE_DIR / "bazaar" / "locale"]
# The zone in which date-only filters (created_date=2025-01-31) are read. API timestamps are UTC.
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
# The shop's currency (ISO 4217), shown on every order; amounts are in its smallest unit.
CURRENCY = os.environ.get("CURRENCY", "IRR")
USE_I18N = True
USE_TZ = True

# --- Files ---------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
# Serve MEDIA_URL from this process (make run, small deployments). Turn off behind a web server.
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Request limits (SPEC §10) -------------------------------------------------------------------
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1024 * 1024)
IMAGE_MAX_BYTES = env_int("IMAGE_MAX_BYTES", 10 * 1024 * 1024)
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 40_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- API -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its header is the one a 401 names (`WWW-Authenticate: Token`). Sessions are
    # for staff logged into /admin/ browsing the API (CSRF enforced on their unsafe requests).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "bazaar.accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["bazaar.api.permissions.HasPermissionCode"],
    "DEFAULT_PAGINATION_CLASS": "bazaar.api.pagination.LimitOffsetPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "bazaar.api.filters.DjangoFilterBackend",
        "bazaar.api.filters.SearchFilter",
        "bazaar.api.filters.OrderingFilter",
    ],
    # JSON (orjson) by default; the browsable API only for an Accept that asks for text/html.
    "DEFAULT_RENDERER_CLASSES": [
        "bazaar.api.renderers.JSONRenderer",
        "bazaar.api.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "bazaar.api.negotiation.ContentNegotiation",
    # JSON only (SPEC §2); the image upload alone takes multipart/form-data (its own view).
    "DEFAULT_PARSER_CLASSES": ["bazaar.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "bazaar.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "bazaar.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "bazaar.api.throttling.TokenRateThrottle",
        "bazaar.api.throttling.AnonymousRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": os.environ.get("THROTTLE_TOKEN_RATE", "6000/min"),
        "anon": os.environ.get("THROTTLE_ANON_RATE", "300/min"),
        # Failed logins per username; every login attempt per client address (SPEC §3).
        "login": os.environ.get("THROTTLE_LOGIN_RATE", "10/min"),
        "login_address": os.environ.get("THROTTLE_LOGIN_ADDRESS_RATE", "100/min"),
    },
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

REST_KNOX = {
    "TOKEN_TTL": None,  # back-office tokens live until revoked (DELETE /api/auth/token/)
    "AUTH_HEADER_PREFIX": "Token",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Bazaar API",
    "DESCRIPTION": "Order management back office: orders, line items, payments and the reference "
    "data they point at. Authenticate with `Authorization: Token <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # The order statuses are one choice set wherever they appear (`status`,
    # `allowed_next_statuses`): one component.
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "bazaar.orders.status.Status",
        "ShipmentStatusEnum": "bazaar.fulfilment.models.ShipmentStatus",
        "FulfilmentStatusEnum": "bazaar.orders.models.FulfilmentStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "bazaar.api.schema.postprocess_error_responses",
        "bazaar.api.schema.postprocess_ecma_patterns",
        "bazaar.idempotency.schema.postprocess_request_headers",
        "bazaar.api.schema.postprocess_exact_schema",
    ],
    # Swagger UI from the application itself (drf-spectacular-sidecar), so /api/docs/ works
    # with no internet access and always shows the pinned version.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- CORS: closed unless origins are configured ---------------------------------------------------
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"

# --- Security ------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", env_bool("HTTPS", False))
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", env_bool("HTTPS", False))
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", env_bool("HTTPS", False))
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", False) else None
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "bazaar.api.logging.RedactSecretsFilter"},
        "request_id": {"()": "bazaar.api.logging.RequestIdFilter"},
    },
    "formatters": {
        "plain": {
            # `request_id` comes from the filter; the default serves a handler without it.
            "()": "logging.Formatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            "defaults": {"request_id": "-"},
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id", "redact"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}
