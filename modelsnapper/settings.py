"""ModelSnapper settings: one module, driven by the environment.

Every variable is listed in README's configuration table. A bad value raises
``ImproperlyConfigured`` naming the variable, so a misconfigured deploy fails at
start instead of on the first request.
"""

from __future__ import annotations

import os
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# --- environment -------------------------------------------------------------
# pytest-django loads these settings before conftest.py runs, so a pytest run is
# recognised here (immediate tasks, fast hasher, locmem email), not by conftest.
DJANGO_ENV = env_str("DJANGO_ENV", "test" if "pytest" in sys.modules else "development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be development, test or production, got {DJANGO_ENV!r}."
    )
IS_PRODUCTION = DJANGO_ENV == "production"
IS_TEST = DJANGO_ENV == "test"

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if IS_PRODUCTION:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_ENV=production; "
            "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "django-insecure-local-development-key-do-not-use-in-production"  # noqa: S105

DEBUG = env_bool("DJANGO_DEBUG", default=DJANGO_ENV == "development")
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", [] if IS_PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if IS_PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS is required when DJANGO_ENV=production: the host names the "
        "site answers to, comma-separated (e.g. modelsnapper.example.com)."
    )

# --- serving (manage.py serve: make run, make prod) ------------------------------
PORT = env_int("PORT", 8000)
BIND_HOST = env_str("BIND_HOST", "0.0.0.0" if IS_PRODUCTION else "127.0.0.1")  # noqa: S104
WEB_CONCURRENCY = env_int("WEB_CONCURRENCY", 2)
WORKER_PROCESSES = env_int("WORKER_PROCESSES", 1)
SHUTDOWN_GRACE_SECONDS = env_int("SHUTDOWN_GRACE_SECONDS", 30)
for _name, _value in {
    "PORT": PORT,
    "WEB_CONCURRENCY": WEB_CONCURRENCY,
    "WORKER_PROCESSES": WORKER_PROCESSES,
}.items():
    if _value < 1:
        raise ImproperlyConfigured(f"{_name} must be a positive integer, got {_value}.")

# Links in emails. Development follows PORT; production defaults to the first host.
SITE_URL = env_str(
    "SITE_URL", f"https://{ALLOWED_HOSTS[0]}" if IS_PRODUCTION else f"http://127.0.0.1:{PORT}"
).rstrip("/")

# --- database: SQLite by default, MongoDB when MONGODB_URI is set -------------
MONGODB_URI = env_str("MONGODB_URI")
USE_MONGODB = bool(MONGODB_URI)


def _mongodb_database(uri: str) -> dict:
    parsed = urlparse(uri)
    if parsed.scheme not in {"mongodb", "mongodb+srv"} or not parsed.hostname:
        raise ImproperlyConfigured(
            "MONGODB_URI must look like mongodb://host:27017/dbname or "
            f"mongodb+srv://cluster.example.net/dbname, got {uri!r}."
        )
    name = parsed.path.lstrip("/") or env_str("MONGODB_NAME", "modelsnapper")
    return {
        "ENGINE": "django_mongodb_backend",
        "HOST": uri,
        "NAME": name,
        # Fail fast when the server is unreachable instead of after pymongo's 30 s.
        "OPTIONS": {
            "serverSelectionTimeoutMS": env_int("MONGODB_SERVER_SELECTION_TIMEOUT_MS", 5000)
        },
    }


def _sql_database(url: str) -> dict[str, Any]:
    import dj_database_url

    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    except Exception as exc:  # dj_database_url raises several unrelated types
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
    if not config.get("ENGINE"):
        raise ImproperlyConfigured(f"DATABASE_URL has an unknown scheme: {url!r}.")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Wait for a writer instead of failing with "database is locked" when the
        # web process and the task worker write at the same moment.
        config.setdefault("OPTIONS", {})["timeout"] = 20
        config["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    return config


if USE_MONGODB:
    DATABASES = {"default": _mongodb_database(MONGODB_URI)}
else:
    DATABASES = {
        "default": _sql_database(env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))
    }

# --- applications -------------------------------------------------------------
if USE_MONGODB:
    DJANGO_CONTRIB_APPS = [
        "modelsnapper.mongo_apps.MongoAdminConfig",
        "modelsnapper.mongo_apps.MongoAuthConfig",
        "modelsnapper.mongo_apps.MongoContentTypesConfig",
    ]
    ALLAUTH_APPS = [
        "modelsnapper.mongo_apps.MongoAccountConfig",
        "modelsnapper.mongo_apps.MongoSocialAccountConfig",
    ]
    TASK_APPS: list[str] = []
else:
    DJANGO_CONTRIB_APPS = [
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
    ]
    ALLAUTH_APPS = ["allauth.account", "allauth.socialaccount"]
    TASK_APPS = ["django_tasks_db"]

INSTALLED_APPS = [
    *DJANGO_CONTRIB_APPS,
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    *([] if not USE_MONGODB else ["django_mongodb_backend"]),
    "allauth",
    *ALLAUTH_APPS,
    "allauth.socialaccount.providers.openid_connect",
    "django_tasks",
    *TASK_APPS,
    *(
        ["modelsnapper.mongo_apps.MongoDjangoRQConfig" if USE_MONGODB else "django_rq"]
        if env_str("REDIS_URL")
        else []
    ),
    "modelsnapper",
    "accounts",
    "marketplace",
    "billing",
    "generations",
    "payouts",
    # Above every app (dashboards, demo data, the benchmark); see test_import_order.
    "home",
]

if USE_MONGODB:
    DEFAULT_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
    # Contrib and allauth migrations use AutoField; Mongo needs ObjectId versions,
    # committed under mongo_migrations/. Our own apps share one migration set.
    MIGRATION_MODULES = {
        "admin": "mongo_migrations.admin",
        "auth": "mongo_migrations.auth",
        "contenttypes": "mongo_migrations.contenttypes",
        "account": "mongo_migrations.account",
        "socialaccount": "mongo_migrations.socialaccount",
    }
    # CheckConstraints are not enforced on MongoDB; the balances they protect are
    # guarded by conditional single-document updates in the services instead.
    SILENCED_SYSTEM_CHECKS = ["models.W027"]
else:
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "modelsnapper.middleware.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    # Static files: runserver serves them in development; WhiteNoise in production.
    *(["whitenoise.middleware.WhiteNoiseMiddleware"] if IS_PRODUCTION else []),
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before CSRF (which reads the body): refuses a body larger than the view takes.
    "modelsnapper.middleware.BodyLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "modelsnapper.urls"
WSGI_APPLICATION = "modelsnapper.wsgi.application"
ASGI_APPLICATION = "modelsnapper.asgi.application"

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
                "modelsnapper.context_processors.navigation",
            ],
        },
    },
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if IS_TEST:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static and private media ---------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles"))).resolve()

MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media"))).resolve()
# Media is private: no MEDIA_URL route exists; files are served by owner-checked
# views or short-lived presigned S3 URLs.
MEDIA_URL = "/media-not-served/"

AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL") or None
AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME") or None
AWS_PRESIGNED_EXPIRY_SECONDS = env_int("AWS_PRESIGNED_EXPIRY_SECONDS", 300)

if AWS_STORAGE_BUCKET_NAME:
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": AWS_S3_ENDPOINT_URL,
            "region_name": AWS_S3_REGION_NAME,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": AWS_PRESIGNED_EXPIRY_SECONDS,
            "file_overwrite": False,
            # SigV4 presigned URLs (X-Amz-Expires); SigV2 is refused by newer regions.
            "signature_version": "s3v4",
        },
    }
else:
    DEFAULT_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": MEDIA_URL},
    }

STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Uploads above this are refused before Django reads them into memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# No page takes more than 20 files (a generation batch; a few more still get the form's
# own message). Django's default is 100: 1.5 GB of temp files per request at 15 MB each.
DATA_UPLOAD_MAX_NUMBER_FILES = 25
MAX_IMAGE_UPLOAD_BYTES = 15 * 1024 * 1024
# Request bodies (modelsnapper.middleware): ordinary forms, the admin (staff: avatar upload),
# one-image upload views (a file plus its form) and a generation batch (up to 20 photos).
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 256 * 1024)
ADMIN_MAX_BODY_BYTES = MAX_IMAGE_UPLOAD_BYTES + 1024 * 1024
MAX_UPLOAD_BODY_BYTES = MAX_IMAGE_UPLOAD_BYTES + 1024 * 1024
MAX_BATCH_BODY_BYTES = env_int("MAX_BATCH_BODY_BYTES", 120 * 1024 * 1024)
MAX_IMAGE_PIXELS = 40_000_000
# Rows per page of every list (modelsnapper.paging; at most 50). `make bench` lowers it.
LIST_PAGE_SIZE = 50
# Decode memory (modelsnapper.images): likeness photos and the verify page need no more
# than a good phone photo; stored images are reduced to this long side; one process
# decodes at most this many pixels at a time and a decode waits at most this long.
LIKENESS_MAX_IMAGE_PIXELS = env_int("LIKENESS_MAX_IMAGE_PIXELS", 24_000_000)
VERIFY_MAX_IMAGE_PIXELS = env_int("VERIFY_MAX_IMAGE_PIXELS", 24_000_000)
MAX_STORED_IMAGE_SIDE = 4096
DECODE_PIXEL_BUDGET = env_int("DECODE_PIXEL_BUDGET", 48_000_000)
DECODE_WAIT_SECONDS = env_int("DECODE_WAIT_SECONDS", 20)
# Upload POSTs per user per minute (upload views: New photos, likeness, verify, ...).
UPLOADS_PER_MINUTE = env_int("UPLOADS_PER_MINUTE", 20)

# --- accounts (django-allauth) ----------------------------------------------------
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
# Confirmation keys are random strings stored in account_emailconfirmation, not HMACs:
# allauth's HMAC key JSON-encodes the EmailAddress pk, which is an ObjectId in Mongo
# mode ("Object of type ObjectId is not JSON serializable": every sign-up answered 500).
ACCOUNT_EMAIL_CONFIRMATION_HMAC = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults, stated so they are visible and reviewed.
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
ACCOUNT_FORMS = {"signup": "accounts.forms.RoleSignupForm"}
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_FORMS = {"signup": "accounts.forms.RoleSocialSignupForm"}
SOCIALACCOUNT_AUTO_SIGNUP = False  # ask a Clerk user for their role first
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
LOGIN_REDIRECT_URL = "home:dashboard"
LOGIN_URL = "account_login"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"

CLERK_ISSUER_URL = env_str("CLERK_ISSUER_URL")
CLERK_CLIENT_ID = env_str("CLERK_CLIENT_ID")
CLERK_CLIENT_SECRET = env_str("CLERK_CLIENT_SECRET")
CLERK_ENABLED = bool(CLERK_ISSUER_URL and CLERK_CLIENT_ID and CLERK_CLIENT_SECRET)
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "APPS": (
            [
                {
                    "provider_id": "clerk",
                    "name": "Clerk",
                    "client_id": CLERK_CLIENT_ID,
                    "secret": CLERK_CLIENT_SECRET,
                    "settings": {"server_url": CLERK_ISSUER_URL},
                }
            ]
            if CLERK_ENABLED
            else []
        ),
        "OAUTH_PKCE_ENABLED": True,
    }
}

# --- email -------------------------------------------------------------------------
EMAIL_URL = env_str("EMAIL_URL")
if IS_TEST:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
elif env_str("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env_str("EMAIL_HOST")
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ModelSnapper <no-reply@modelsnapper.local>")

# --- cache (rate limits) -------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# "shared" is seen by every process of a deployment (worker heartbeats, the
# scheduler's claims): Redis, or files on this host without it.
SHARED_CACHE_DIR = env_str("SHARED_CACHE_DIR", str(BASE_DIR / "var" / "shared-cache"))
if REDIS_URL:
    _redis_cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    CACHES = {"default": _redis_cache, "shared": _redis_cache}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "shared": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": SHARED_CACHE_DIR,
        },
    }

# --- background jobs (django-tasks) ----------------------------------------------------
TASKS: dict[str, dict[str, Any]]
if IS_TEST and not env_bool("TASKS_REAL_BACKEND", False):
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
elif REDIS_URL:
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
elif USE_MONGODB:
    raise ImproperlyConfigured(
        "MONGODB_URI is set but REDIS_URL is not: the database task queue needs row "
        "locking that MongoDB lacks, so Mongo mode runs jobs on Redis (set REDIS_URL)."
    )
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- payments (Stripe) ----------------------------------------------------------------------
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env_str("STRIPE_API_BASE") or None
# The Connect endpoint's signing secret (events of connected accounts, e.g. account.updated).
STRIPE_CONNECT_WEBHOOK_SECRET = env_str("STRIPE_CONNECT_WEBHOOK_SECRET")


# --- payouts to models (Stripe Connect Express) ------------------------------------------------
def _payout_minimum() -> Decimal:
    raw = env_str("PAYOUT_MINIMUM_USD", "10.00")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ImproperlyConfigured(f"PAYOUT_MINIMUM_USD must be an amount, got {raw!r}.") from None
    # A whole number of cents above zero: a payout is never a fraction of a cent, never 0.
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise ImproperlyConfigured(
            f"PAYOUT_MINIMUM_USD must be above 0 with at most 2 decimals, got {raw!r}."
        )
    return value.quantize(Decimal("0.01"))


PAYOUT_MINIMUM_USD = _payout_minimum()
# The weekly run's day (0 = Monday … 6 = Sunday): the payouts page shows the next one.
PAYOUT_WEEKDAY = env_int("PAYOUT_WEEKDAY", 0)
if not 0 <= PAYOUT_WEEKDAY <= 6:
    raise ImproperlyConfigured(f"PAYOUT_WEEKDAY must be 0..6, got {PAYOUT_WEEKDAY}.")

# --- generation engine ------------------------------------------------------------------------
GENERATION_ENGINE = env_str("GENERATION_ENGINE", "offline")
if GENERATION_ENGINE not in {"offline", "fashn"}:
    raise ImproperlyConfigured(
        f"GENERATION_ENGINE must be offline or fashn, got {GENERATION_ENGINE!r}."
    )
FASHN_API_KEY = env_str("FASHN_API_KEY")
FASHN_API_BASE = env_str("FASHN_API_BASE", "https://api.fashn.ai").rstrip("/")
# This site's public origin (https://…): FASHN then POSTs finished predictions to
# /generations/fashn/webhook/<id>/ instead of being polled every 2 s (polling stays as a
# 20 s fallback). Needs a cache shared by web and workers (REDIS_URL).
FASHN_WEBHOOK_BASE = env_str("FASHN_WEBHOOK_BASE").rstrip("/")
if GENERATION_ENGINE == "fashn" and not FASHN_API_KEY:
    raise ImproperlyConfigured("GENERATION_ENGINE=fashn needs FASHN_API_KEY.")

# --- content credentials (C2PA) -----------------------------------------------------------------
C2PA_SIGN_CERT = env_str("C2PA_SIGN_CERT")
C2PA_SIGN_KEY = env_str("C2PA_SIGN_KEY")
C2PA_LOCAL_DIR = BASE_DIR / ".c2pa"
# An RFC 3161 time-stamp authority: a signature time-stamped while the certificate was
# valid stays valid after the certificate expires. Set by an administrator, never by a user.
C2PA_TSA_URL = env_str("C2PA_TSA_URL")
# PEM file with the root(s) the TSA's certificate chains to, trusted when reading.
C2PA_TSA_ROOTS = env_str("C2PA_TSA_ROOTS")

# --- security ----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Features no page uses stay off, for this origin and anything it embeds.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)
# No inline script or style anywhere: every page's script and CSS are static files.
# Images may come from the S3 bucket (short-lived presigned URLs) in production.
_image_sources = ["'self'", "data:", "blob:"]
if AWS_STORAGE_BUCKET_NAME:
    _image_sources.append(
        AWS_S3_ENDPOINT_URL or f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com"
    )
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": _image_sources,
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Load balancers probe these over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
if IS_PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
}
