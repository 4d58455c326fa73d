"""Django settings for Madang; every value comes from a MADANG_* variable or a safe default."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from madang.accounts.social import social_providers
from madang.config import env

PROJECT_DIR = Path(__file__).resolve().parents[3]
PACKAGE_DIR = Path(__file__).resolve().parents[1]
DATA_DIR = env.path("DATA_DIR", PROJECT_DIR / "var")
# The SQLite file, uploads and collected static files live here; SQLite cannot create folders.
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.flag("DEBUG", False)
SECRET_KEY = env.text("SECRET_KEY") or "insecure-development-key-set-MADANG_SECRET_KEY"
ALLOWED_HOSTS = env.words("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env.words("CSRF_TRUSTED_ORIGINS")
SITE_URL = env.text("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # Django's admin as Madang's back office (accounts/edition_admin.py).
    "madang.accounts.backoffice.BackOfficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_htmx",
    "django_countries",
    "madang.common",
    "madang.accounts",
    "madang.program",
    "madang.registration",
    "madang.checkin",
    "madang.live",
    "madang.stage",
    "madang.venue",
    "madang.notifications",
    "madang.web",
    # Accounts (People issue): allauth for sign-up, login by code and social login; the
    # provider apps are always installed, but a provider shows only when its keys are set.
    # After our apps, so that accounts/templates/allauth/ overrides allauth's own layout.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.kakao",
    "allauth.socialaccount.providers.naver",
    "allauth.socialaccount.providers.google",
    # Object-level permissions per edition; autodiscovers each app's rules.py.
    "rules.apps.AutodiscoverRulesConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "madang.program.middleware.CachedExportMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "madang.config.urls"
WSGI_APPLICATION = "madang.config.wsgi.application"
ASGI_APPLICATION = "madang.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "madang.web.context.display_preferences",
            ],
        },
    },
]

DATABASE_URL = env.text("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "madang.sqlite3"),
            "OPTIONS": {
                # WAL lets readers run beside a writer; the busy timeout waits instead of failing.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

REDIS_URL = env.text("REDIS_URL")
if REDIS_URL and os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw"):
    # Parallel test processes (pytest-xdist names them gw0, gw1 …) each take their own Redis
    # database, because every test empties its database's caches.
    _test_process = int(os.environ["PYTEST_XDIST_WORKER"][2:])
    REDIS_URL = f"{REDIS_URL.rsplit('/', 1)[0]}/{_test_process + 1}"
CACHE_TIMEOUT = env.number("CACHE_TIMEOUT", 300)
# Three caches. "pages" holds rendered pages, fragments and exports under keys that include the
# edition's program version, so the content under a key never changes and a per-process cache
# is correct for it (and saves a network round trip per request). "versions" holds those
# versions and must be shared by every worker, so that an edit is seen by all of them at once.
# "default" is for everything else that must be shared (Redis when configured).
_PAGES_CACHE = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "TIMEOUT": CACHE_TIMEOUT,
    # Whole pages run to ~200 KB for a 300-session program: this bounds a worker's memory.
    "OPTIONS": {"MAX_ENTRIES": 300},
}
if REDIS_URL:
    _REDIS_CACHE = {
        "BACKEND": "madang.common.cache.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        "TIMEOUT": CACHE_TIMEOUT,
        "KEY_PREFIX": "madang",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            # A hung Redis must cost a page at most these few hundred milliseconds once;
            # after that the circuit in ResilientRedisCache skips Redis for a while.
            "SOCKET_CONNECT_TIMEOUT": 0.25,
            "SOCKET_TIMEOUT": 0.25,
        },
    }
    CACHES = {"default": _REDIS_CACHE, "versions": _REDIS_CACHE, "pages": _PAGES_CACHE}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "TIMEOUT": CACHE_TIMEOUT,
        },
        "versions": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            # Parallel test processes each keep their own, for every test empties it.
            "LOCATION": str(
                DATA_DIR / "cache" / "versions" / os.environ.get("PYTEST_XDIST_WORKER", "")
            ),
            "TIMEOUT": None,
        },
        "pages": _PAGES_CACHE,
    }

# Real time (live/, docs/realtime.md). The in-memory channel layer reaches only the consumers of
# its own process, so without Redis HTTP and websockets must be served by one process (`make
# demo`); with Redis, the pub/sub layer (one PUBLISH per event, fanned out inside each worker)
# lets any number of HTTP and websocket processes share events.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "madang:live:layer"},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "madang.live.layers.MemoryChannelLayer"}}
# Where browsers open the websocket; empty: /ws/ on the page's own host.
WEBSOCKET_URL = env.text("WEBSOCKET_URL")
LIVE_MAX_FRAME_BYTES = env.number("LIVE_MAX_FRAME_BYTES", 4096)
LIVE_HEARTBEAT_SECONDS = env.number("LIVE_HEARTBEAT_SECONDS", 20)
LIVE_HEARTBEAT_TIMEOUT = env.number("LIVE_HEARTBEAT_TIMEOUT", 50)
LIVE_MAX_CONNECTIONS_PER_USER = env.number("LIVE_MAX_CONNECTIONS_PER_USER", 8)
LIVE_MAX_CONNECTIONS_PER_ADDRESS = env.number("LIVE_MAX_CONNECTIONS_PER_ADDRESS", 50)
LIVE_FRAMES_PER_SECOND = env.number("LIVE_FRAMES_PER_SECOND", 10)
LIVE_FRAME_BURST = env.number("LIVE_FRAME_BURST", 30)
LIVE_MAX_STRIKES = env.number("LIVE_MAX_STRIKES", 20)
LIVE_MAX_TOPICS = env.number("LIVE_MAX_TOPICS", 20)
LIVE_BUFFER_SIZE = env.number("LIVE_BUFFER_SIZE", 200)
LIVE_RESYNC_CHECK_SECONDS = float(env.text("LIVE_RESYNC_CHECK_SECONDS", "1") or 1)
# Virtual venue (venue app): how often positions are sent, and the zones' video calls.
VENUE_TICK_SECONDS = env.number("VENUE_TICK_MS", 100) / 1000
VENUE_CALL_BASE_URL = env.text("VENUE_CALL_BASE_URL")
VENUE_CALL_URLS = env.text("VENUE_CALL_URLS")

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Accounts (People issue). Visitors sign in at /<lang>/accounts/login/; staff may still use the
# admin's own login at /<lang>/manage/, which authenticates by username through ModelBackend.
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "account-home"
AUTHENTICATION_BACKENDS = [
    # Per-edition roles (accounts/rules.py), checked as user.has_perm(name, event).
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "madang.accounts.adapter.AccountAdapter"
# allauth counts in the "default" cache, so limits hold across workers once Redis is set.
# Failed logins: MADANG_LOGIN_FAILURE_LIMIT per email address within
# MADANG_LOGIN_FAILURE_SECONDS, and at most ten a minute from one address, then 429.
LOGIN_FAILURE_LIMIT = env.number("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_SECONDS = env.number("LOGIN_FAILURE_SECONDS", 300)
# Sign-in links by email (accounts/login_links.py): how long one works, and how many may be
# asked for per client address and per email address in the window.
LOGIN_LINK_MINUTES = env.number("LOGIN_LINK_MINUTES", 15)
LOGIN_LINK_RATE_LIMIT = env.number("LOGIN_LINK_RATE_LIMIT", 5)
LOGIN_LINK_WINDOW = env.number("LOGIN_LINK_WINDOW", 900)
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"10/m/ip,{LOGIN_FAILURE_LIMIT}/{LOGIN_FAILURE_SECONDS}s/key",
}
SOCIALACCOUNT_PROVIDERS = social_providers(os.environ)
SOCIALACCOUNT_ADAPTER = "madang.accounts.adapter.SocialAccountAdapter"
# Registrations accepted from one client address per window (common/ratelimit.py).
# Addresses of our own reverse proxies; only their X-Forwarded-For entries are believed when
# counting requests per client (common/ratelimit.py). Empty: count the connecting address.
TRUSTED_PROXIES = env.words("TRUSTED_PROXIES")
REGISTRATION_RATE_LIMIT = env.number("REGISTRATION_RATE_LIMIT", 10)
REGISTRATION_RATE_WINDOW = env.number("REGISTRATION_RATE_WINDOW", 600)
# Actions on a registrant's personal page (accept, cancel, book) per client address and window.
REGISTRANT_PAGE_RATE_LIMIT = env.number("REGISTRANT_PAGE_RATE_LIMIT", 30)
REGISTRANT_PAGE_RATE_WINDOW = env.number("REGISTRANT_PAGE_RATE_WINDOW", 600)

LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every start while it is missing
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "madang.common.static.StaticStorage"
        )
    },
}
# Tests and `make demo` before collectstatic still find files in the apps' static folders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# With Redis, sessions are read from the shared cache and written through to the database (one
# query less per signed-in request; an outage falls back to the database). Without Redis the
# cache is per process, where a session changed in one worker would be stale in the others.
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env.flag("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# How old a program version the whole-program exports may be served under, in seconds: each
# worker then asks the shared store at most this often. The exports tell clients they may keep
# a copy for 60 s anyway; pages never use this and always show an edit at once.
EXPORT_MAX_STALE_SECONDS = float(env.number("EXPORT_MAX_STALE_SECONDS", 1))

# Largest schedule file `madang import-schedule` reads, in bytes.
IMPORT_MAX_BYTES = env.number("IMPORT_MAX_BYTES", 50 * 1024 * 1024)

# Email: SMTP when MADANG_EMAIL_HOST is set, otherwise printed to the console.
EMAIL_HOST = env.text("EMAIL_HOST")
EMAIL_PORT = env.number("EMAIL_PORT", 587)
EMAIL_HOST_USER = env.text("EMAIL_USER")
EMAIL_HOST_PASSWORD = env.text("EMAIL_PASSWORD")
EMAIL_USE_TLS = env.flag("EMAIL_TLS", True)
EMAIL_USE_SSL = env.flag("EMAIL_SSL", False)
EMAIL_TIMEOUT = env.number("EMAIL_TIMEOUT", 20)
# Seconds before the first retry of a failed email; each next retry waits four times longer.
EMAIL_RETRY_SECONDS = env.number("EMAIL_RETRY_SECONDS", 60)
EMAIL_BACKEND = env.text(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.text("EMAIL_FROM") or env.text(
    "DEFAULT_FROM_EMAIL", "Madang <noreply@localhost>"
)

# Background work (config/celery.py): Celery workers on the Redis broker when MADANG_REDIS_URL is
# set; without it every task runs at once, in the process that queues it.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = env.flag("CELERY_EAGER", not REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request that queues a task must not hang on a stopped broker; the outbox keeps the
# message and the sweep below sends it later.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
CELERY_BEAT_SCHEDULE = {
    # Hourly, so that each edition's "tomorrow" is caught soon after midnight in its own zone.
    "day-before-reminders": {
        "task": "madang.notifications.tasks.send_day_before_reminders",
        "schedule": 3600.0,
    },
    "retry-stalled-messages": {
        "task": "madang.notifications.tasks.retry_stalled_messages",
        "schedule": 300.0,
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.text("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
    },
}
