"""Bad and unusual environment values and DSNs, each with what the generated project makes of it:
accepted, with the exact setting that results, or refused in one line that names the variable.

Settings cases run on the host, all in one Python process per database (gateway-independent cases
on the default database, scheme and option cases on their own). Every refusal also runs as the
image's own CMD, once per gateway, where the container must exit non-zero with no traceback and
its last log line must name the variable. Gateway cases are the variables the gateway reads itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from extensions import variants
from harness.environments import production_env
from harness.inputs import evaluate_settings, last_line, run_gateway_check, start_images_cmd
from harness.project import Manage

SLUG = "example_shop"
PREFIX = f"{SLUG}: configuration error: "
DEFAULT = variants.DEFAULT_DATABASE
ONE_YEAR = 60 * 60 * 24 * 365
# A Sentry DSN's key, which no refusal may repeat.
SENTRY_KEY = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
MYSQL_DEFAULTS = variants.DATABASES["mysql"].options
SQLITE_DEFAULTS = variants.DATABASES["sqlite"].options


@dataclass(frozen=True)
class Accepted:
    """The settings that result, by dotted name (DATABASES.default.OPTIONS), exactly."""

    settings: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Refused:
    variable: str
    # Words the line must also contain: the hint that makes it actionable.
    says: str = ""
    # What the line (and every line logged) must not contain: the secret part of the value.
    hides: str = ""


@dataclass(frozen=True)
class Case:
    id: str
    env: dict[str, str | None]
    expected: Accepted | Refused
    # Only on this database's projects (None: on any, tried on the default database).
    database: str | None = None
    # Read by the gateway server itself: checked by `python -m SLUG.environment`, not settings.
    gateway: bool = False
    # Only on projects with this worker backend (None: any; tried with the database's paired one).
    worker: str | None = None


def s3(host: str, path: str = "/", secret: str = "S%2Fecret") -> str:
    return f"s3://AKIAKEY:{secret}@{host}{path}"


def s3_options(**options) -> dict:
    """STORAGES["default"]["OPTIONS"] of an s3 DSN with the key and secret s3() writes."""
    fixed = {"access_key": "AKIAKEY", "secret_key": "S/ecret", "default_acl": None, "file_overwrite": False}
    return {**fixed, "location": "", **options}


def storage(**options) -> dict:
    return {"STORAGES.default.OPTIONS": s3_options(**options)}


CASES = [
    # Booleans: the usual spellings, any case; anything else refused.
    Case("debug-true", {"DJANGO_DEBUG": "true"}, Accepted({"DEBUG": True, "SECURE_HSTS_SECONDS": 0})),
    Case("debug-1", {"DJANGO_DEBUG": "1"}, Accepted({"DEBUG": True})),
    Case("debug-YES", {"DJANGO_DEBUG": "YES"}, Accepted({"DEBUG": True})),
    Case("debug-On-no-secret", {"DJANGO_DEBUG": " On ", "SECRET_KEY": None}, Accepted({"DEBUG": True})),
    Case(
        "debug-False", {"DJANGO_DEBUG": "False"}, Accepted({"DEBUG": False, "SECURE_HSTS_SECONDS": ONE_YEAR})
    ),
    Case("debug-empty", {"DJANGO_DEBUG": ""}, Accepted({"DEBUG": False})),
    Case("debug-maybe", {"DJANGO_DEBUG": "maybe"}, Refused("DJANGO_DEBUG", "true/false")),
    Case("debug-typo-no-secret", {"DJANGO_DEBUG": "ture", "SECRET_KEY": None}, Refused("DJANGO_DEBUG")),
    Case("redirect-false", {"SECURE_SSL_REDIRECT": "false"}, Accepted({"SECURE_SSL_REDIRECT": False})),
    Case("redirect-0", {"SECURE_SSL_REDIRECT": "0"}, Accepted({"SECURE_SSL_REDIRECT": False})),
    Case("redirect-no", {"SECURE_SSL_REDIRECT": "no"}, Accepted({"SECURE_SSL_REDIRECT": False})),
    Case("redirect-OFF", {"SECURE_SSL_REDIRECT": "OFF"}, Accepted({"SECURE_SSL_REDIRECT": False})),
    Case("redirect-unset", {"SECURE_SSL_REDIRECT": None}, Accepted({"SECURE_SSL_REDIRECT": True})),
    Case("redirect-disabled", {"SECURE_SSL_REDIRECT": "disabled"}, Refused("SECURE_SSL_REDIRECT")),
    # Secret and the image build's switch.
    Case("no-secret", {"SECRET_KEY": None}, Refused("SECRET_KEY")),
    Case("blank-secret", {"SECRET_KEY": "   "}, Refused("SECRET_KEY")),
    Case(
        "collectstatic-switch-outside-collectstatic",
        {"DJANGO_COLLECTSTATIC_ONLY": "true"},
        Refused("DJANGO_COLLECTSTATIC_ONLY", "collectstatic"),
    ),
    # The database: never a silent fallback.
    Case("no-database-url", {"DATABASE_URL": None}, Refused("DATABASE_URL", "is not set")),
    Case("no-database-url-in-debug", {"DATABASE_URL": None, "DJANGO_DEBUG": "true"}, Refused("DATABASE_URL")),
    Case("database-url-empty", {"DATABASE_URL": ""}, Refused("DATABASE_URL")),
    Case("database-url-not-a-url", {"DATABASE_URL": "not a url"}, Refused("DATABASE_URL")),
    Case("database-url-bad-port", {"DATABASE_URL": "postgres://user@host:port/db"}, Refused("DATABASE_URL")),
    Case("database-url-ftp", {"DATABASE_URL": "ftp://example.com/db"}, Refused("DATABASE_URL")),
    Case("database-url-sqlite-memory", {"DATABASE_URL": "sqlite://:memory:"}, Refused("DATABASE_URL")),
    Case("database-url-sqlite-no-file", {"DATABASE_URL": "sqlite://"}, Refused("DATABASE_URL")),
    # A database in memory loses its data with every restart; a relative path moves with the cwd.
    Case("sqlite-memory-path", {"DATABASE_URL": "sqlite:///:memory:"}, Refused("DATABASE_URL", "in-memory")),
    Case(
        "sqlite-memory-shared-uri",
        {"DATABASE_URL": "sqlite:///file::memory:?cache=shared"},
        Refused("DATABASE_URL", "in-memory"),
    ),
    Case(
        "sqlite-mode-memory",
        {"DATABASE_URL": "sqlite:////data/db.sqlite3?mode=memory"},
        Refused("DATABASE_URL", "in-memory"),
    ),
    Case(
        "sqlite-uri-filename", {"DATABASE_URL": "sqlite:///file:db.sqlite3"}, Refused("DATABASE_URL", "URI")
    ),
    Case(
        "sqlite-relative-path",
        {"DATABASE_URL": "sqlite:///db.sqlite3"},
        Refused("DATABASE_URL", "sqlite:////data/db.sqlite3"),
    ),
    Case(
        "sqlite-host-read-as-relative",
        {"DATABASE_URL": "sqlite://localhost/data/db"},
        Refused("DATABASE_URL"),
    ),
    Case(
        "sqlite-timeout-not-whole",
        {"DATABASE_URL": "sqlite:////data/db.sqlite3?timeout=abc"},
        Refused("DATABASE_URL", "timeout"),
    ),
    Case(
        "sqlite-timeout-huge",
        {"DATABASE_URL": "sqlite:////data/db.sqlite3?timeout=99999999999999999999"},
        Refused("DATABASE_URL", "3600"),
    ),
    # A reserved character in the password: percent-encoded it is kept exactly, else refused.
    Case(
        "database-password-slash",
        {"DATABASE_URL": "postgres://app:pa/ss@db.example.com/shop"},
        Refused("DATABASE_URL", "%2F"),
    ),
    Case(
        "database-password-question-mark",
        {"DATABASE_URL": "postgres://app:pa?ss@db.example.com/shop"},
        Refused("DATABASE_URL", "percent-encode"),
    ),
    Case(
        "database-password-hash",
        {"DATABASE_URL": "postgres://app:pa#ss@db.example.com/shop"},
        Refused("DATABASE_URL", "percent-encode"),
    ),
    Case(
        "database-password-bracket",
        {"DATABASE_URL": "postgres://app:pa[ss@db.example.com/shop"},
        Refused("DATABASE_URL", "percent-encode"),
    ),
    Case(
        "database-password-encoded",
        {"DATABASE_URL": "postgres://app:pa%2Fss%3F%23%5B%40@db.example.com/shop"},
        Accepted({"DATABASES.default.PASSWORD": "pa/ss?#[@", "DATABASES.default.HOST": "db.example.com"}),
        database="postgresql",
    ),
    Case(
        "database-password-colon-and-at",
        {"DATABASE_URL": "mysql://app:p:a@ss@db.example.com/shop"},
        Accepted({"DATABASES.default.PASSWORD": "p:a@ss", "DATABASES.default.HOST": "db.example.com"}),
        database="mysql",
    ),
    Case(
        "postgres-sslmode-kept",
        {"DATABASE_URL": "postgres://app:pw@db.example.com:6543/shop?sslmode=verify-full"},
        Accepted(
            {
                "DATABASES.default.ENGINE": "django.db.backends.postgresql",
                "DATABASES.default.HOST": "db.example.com",
                "DATABASES.default.PORT": 6543,
                "DATABASES.default.NAME": "shop",
                "DATABASES.default.OPTIONS": {"sslmode": "verify-full"},
            }
        ),
        database="postgresql",
    ),
    Case(
        "mysql-url-on-postgresql",
        {"DATABASE_URL": "mysql://app:pw@db.example.com/shop"},
        Refused("DATABASE_URL", "copier update --trust --defaults --data database=mysql"),
        database="postgresql",
    ),
    Case(
        "mysql-ssl-mode-kept",
        {"DATABASE_URL": "mysql://app:pw@db.example.com/shop?ssl_mode=REQUIRED"},
        Accepted({"DATABASES.default.OPTIONS": {**MYSQL_DEFAULTS, "ssl_mode": "REQUIRED"}}),
        database="mysql",
    ),
    Case(
        "mysql-charset-wins",
        {"DATABASE_URL": "mysql://app:pw@db.example.com/shop?charset=utf8mb3"},
        Accepted({"DATABASES.default.OPTIONS": {**MYSQL_DEFAULTS, "charset": "utf8mb3"}}),
        database="mysql",
    ),
    Case(
        "postgres-url-on-mysql",
        {"DATABASE_URL": "postgresql://app:pw@db.example.com/shop"},
        Refused("DATABASE_URL", "copier update --trust --defaults --data database=postgresql"),
        database="mysql",
    ),
    Case(
        "sqlite-url-on-mysql",
        {"DATABASE_URL": "sqlite:////data/db.sqlite3"},
        Accepted({"DATABASES.default.ENGINE": "django.db.backends.sqlite3"}),
        database="mysql",
    ),
    Case(
        "sqlite-timeout-wins",
        {"DATABASE_URL": "sqlite:////data/db.sqlite3?timeout=5"},
        Accepted(
            {
                "DATABASES.default.NAME": "/data/db.sqlite3",
                "DATABASES.default.OPTIONS": {**SQLITE_DEFAULTS, "timeout": 5},
            }
        ),
        database="sqlite",
    ),
    Case(
        "mysql-url-on-sqlite",
        {"DATABASE_URL": "mysql://app:pw@db.example.com/shop"},
        Refused("DATABASE_URL", "copier update --trust --defaults --data database=mysql"),
        database="sqlite",
    ),
    Case(
        "postgres-url-on-sqlite",
        {"DATABASE_URL": "postgres://app:pw@db.example.com/shop"},
        Refused("DATABASE_URL", "copier update --trust --defaults --data database=postgresql"),
        database="sqlite",
    ),
    # Hosts: a bare host name, a leading "." or "*." for subdomains; nothing guessed.
    Case(
        "domain-with-scheme", {"DOMAIN": "https://example.com"}, Refused("DOMAIN", "write it as example.com")
    ),
    Case("domain-with-port", {"DOMAIN": "example.com:8443"}, Refused("DOMAIN", "write it as example.com")),
    Case("domain-with-path", {"DOMAIN": "example.com/shop/"}, Refused("DOMAIN", "write it as example.com")),
    Case("domain-two-hosts", {"DOMAIN": "example.com www.example.com"}, Refused("DOMAIN", "give one")),
    Case("domain-star", {"DOMAIN": "*"}, Refused("DOMAIN")),
    Case("domain-underscore", {"DOMAIN": "my_shop.example.com"}, Refused("DOMAIN")),
    # A subdomain wildcard on a public suffix or an IP address trusts hosts that are not the site's.
    Case("domain-dot-tld", {"DOMAIN": ".com"}, Refused("DOMAIN", "public suffix")),
    Case("domain-star-dot-tld", {"DOMAIN": "*.com"}, Refused("DOMAIN", "public suffix")),
    Case("alias-dot-co-uk", {"DOMAIN_ALIASES": ".co.uk"}, Refused("DOMAIN_ALIASES", "public suffix")),
    Case("alias-star-com-au", {"DOMAIN_ALIASES": "*.com.au"}, Refused("DOMAIN_ALIASES", "public suffix")),
    Case("alias-dot-ip", {"DOMAIN_ALIASES": ".127.0.0.1"}, Refused("DOMAIN_ALIASES", "IP address")),
    Case(
        "alias-dot-own-uk-domain",
        {"DOMAIN": "shop.co.uk", "DOMAIN_ALIASES": ".shop.co.uk, .example.uk, *.localhost"},
        Accepted({"ALLOWED_HOSTS": ["shop.co.uk", ".shop.co.uk", ".example.uk", ".localhost"]}),
    ),
    # IPv6 addresses: in brackets, as the Host header has them, in their shortest form.
    Case(
        "alias-ipv6-bracketed",
        {"DOMAIN_ALIASES": "[2001:DB8:0:0::1]"},
        Accepted(
            {
                "ALLOWED_HOSTS": ["example.com", "[2001:db8::1]"],
                "CSRF_TRUSTED_ORIGINS": ["https://example.com", "https://[2001:db8::1]"],
            }
        ),
    ),
    Case("alias-ipv6-bare", {"DOMAIN_ALIASES": "::1"}, Refused("DOMAIN_ALIASES", "[::1]")),
    Case("alias-ipv6-with-port", {"DOMAIN_ALIASES": "[::1]:8000"}, Refused("DOMAIN_ALIASES", "[::1]")),
    Case("alias-brackets-not-ipv6", {"DOMAIN_ALIASES": "[:::::]"}, Refused("DOMAIN_ALIASES", "IPv6")),
    Case("alias-brackets-ipv4", {"DOMAIN_ALIASES": "[127.0.0.1]"}, Refused("DOMAIN_ALIASES", "IPv6")),
    Case(
        "domain-upper-case",
        {"DOMAIN": "Example.COM", "DOMAIN_ALIASES": None},
        Accepted({"ALLOWED_HOSTS": ["example.com"], "CSRF_TRUSTED_ORIGINS": ["https://example.com"]}),
    ),
    Case(
        "domain-star-dot",
        {"DOMAIN": "*.example.com", "DOMAIN_ALIASES": None},
        Accepted({"ALLOWED_HOSTS": [".example.com"], "CSRF_TRUSTED_ORIGINS": ["https://*.example.com"]}),
    ),
    Case(
        "aliases-spaces-commas-and-dots",
        {"DOMAIN_ALIASES": " www.example.com ,, .example.org  shop.example.net,"},
        Accepted(
            {
                "ALLOWED_HOSTS": ["example.com", "www.example.com", ".example.org", "shop.example.net"],
                "CSRF_TRUSTED_ORIGINS": [
                    "https://example.com",
                    "https://www.example.com",
                    "https://*.example.org",
                    "https://shop.example.net",
                ],
            }
        ),
    ),
    Case(
        "aliases-loopback",
        {"DOMAIN": None, "DOMAIN_ALIASES": "localhost, 127.0.0.1, [::1]"},
        Accepted({"ALLOWED_HOSTS": ["localhost", "127.0.0.1", "[::1]"]}),
    ),
    Case("alias-with-scheme", {"DOMAIN_ALIASES": "http://www.example.com"}, Refused("DOMAIN_ALIASES")),
    Case("no-host-in-production", {"DOMAIN": None, "DOMAIN_ALIASES": None}, Refused("DOMAIN", "is not set")),
    Case(
        "no-host-in-debug",
        {"DOMAIN": None, "DOMAIN_ALIASES": None, "DJANGO_DEBUG": "true"},
        Accepted({"ALLOWED_HOSTS": []}),
    ),
    # HSTS: off in debug, on for a year otherwise; subdomains on, preload opt-in.
    Case(
        "hsts-defaults",
        {},
        Accepted(
            {
                "SECURE_HSTS_SECONDS": ONE_YEAR,
                "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
                "SECURE_HSTS_PRELOAD": False,
            }
        ),
    ),
    Case("hsts-seconds-abc", {"SECURE_HSTS_SECONDS": "abc"}, Refused("SECURE_HSTS_SECONDS", "whole number")),
    Case("hsts-seconds-negative", {"SECURE_HSTS_SECONDS": "-1"}, Refused("SECURE_HSTS_SECONDS")),
    Case("hsts-seconds-float", {"SECURE_HSTS_SECONDS": "3600.0"}, Refused("SECURE_HSTS_SECONDS")),
    Case("hsts-seconds-zero", {"SECURE_HSTS_SECONDS": "0"}, Accepted({"SECURE_HSTS_SECONDS": 0})),
    Case(
        "hsts-seconds-5000-digits",
        {"SECURE_HSTS_SECONDS": "9" * 5000},
        Refused("SECURE_HSTS_SECONDS", "out of range"),
    ),
    Case(
        "hsts-seconds-over-ten-years", {"SECURE_HSTS_SECONDS": "1" + "0" * 12}, Refused("SECURE_HSTS_SECONDS")
    ),
    Case(
        "hsts-seconds-ten-years",
        {"SECURE_HSTS_SECONDS": "315360000"},
        Accepted({"SECURE_HSTS_SECONDS": 315360000}),
    ),
    Case("hsts-preload-yes", {"SECURE_HSTS_PRELOAD": "yes"}, Accepted({"SECURE_HSTS_PRELOAD": True})),
    Case(
        "hsts-subdomains-off",
        {"SECURE_HSTS_INCLUDE_SUBDOMAINS": "off"},
        Accepted({"SECURE_HSTS_INCLUDE_SUBDOMAINS": False}),
    ),
    # Log level: any case.
    Case("log-level-debug", {"LOG_LEVEL": "debug"}, Accepted({"LOGGING.root.level": "DEBUG"})),
    Case("log-level-Warning", {"LOG_LEVEL": "Warning"}, Accepted({"LOGGING.root.level": "WARNING"})),
    Case("log-level-verbose", {"LOG_LEVEL": "verbose"}, Refused("LOG_LEVEL", "DEBUG, INFO")),
    # Log format: JSON lines unless told text, any case.
    Case("log-format-unset", {"LOG_FORMAT": None}, Accepted({"LOGGING.formatters.line.format": "json"})),
    Case("log-format-TEXT", {"LOG_FORMAT": "TEXT"}, Accepted({"LOGGING.formatters.line.format": "text"})),
    Case("log-format-logfmt", {"LOG_FORMAT": "logfmt"}, Refused("LOG_FORMAT", "json, text")),
    # Storage DSNs.
    Case(
        "s3-bad-port",
        {"DEFAULT_STORAGE_DSN": "s3://K:S@minio.example.com:abc/bucket"},
        Refused("DEFAULT_STORAGE_DSN", "port"),
    ),
    Case(
        "s3-port-out-of-range",
        {"DEFAULT_STORAGE_DSN": "s3://K:S@minio.example.com:99999/bucket"},
        Refused("DEFAULT_STORAGE_DSN", "port"),
    ),
    Case(
        "s3-unencoded-slash-in-secret",
        {"DEFAULT_STORAGE_DSN": s3("my-bucket.s3.eu-west-1.amazonaws.com", secret="wJal/rXUt")},
        Refused("DEFAULT_STORAGE_DSN", "%2F"),
    ),
    Case(
        "s3-bucket-with-dots",
        {"DEFAULT_STORAGE_DSN": s3("my.files.s3.eu-west-1.amazonaws.com", "/uploads/")},
        Accepted(storage(bucket_name="my.files", region_name="eu-west-1", location="uploads")),
    ),
    Case(
        "s3-legacy-dash-region",
        {"DEFAULT_STORAGE_DSN": s3("my-bucket.s3-eu-west-2.amazonaws.com")},
        Accepted(storage(bucket_name="my-bucket", region_name="eu-west-2")),
    ),
    Case(
        "s3-legacy-global",
        {"DEFAULT_STORAGE_DSN": s3("my-bucket.s3.amazonaws.com")},
        Accepted(storage(bucket_name="my-bucket")),
    ),
    Case(
        "s3-legacy-external-1",
        {"DEFAULT_STORAGE_DSN": s3("my-bucket.s3-external-1.amazonaws.com")},
        Accepted(storage(bucket_name="my-bucket", region_name="us-east-1")),
    ),
    Case(
        "s3-dualstack",
        {"DEFAULT_STORAGE_DSN": s3("my.bucket.s3.dualstack.ap-southeast-2.amazonaws.com")},
        Accepted(
            storage(
                bucket_name="my.bucket",
                region_name="ap-southeast-2",
                endpoint_url="https://s3.dualstack.ap-southeast-2.amazonaws.com",
            )
        ),
    ),
    Case(
        "s3-fips",
        {"DEFAULT_STORAGE_DSN": s3("my-bucket.s3-fips.us-gov-west-1.amazonaws.com")},
        Accepted(
            storage(
                bucket_name="my-bucket",
                region_name="us-gov-west-1",
                endpoint_url="https://s3-fips.us-gov-west-1.amazonaws.com",
            )
        ),
    ),
    Case(
        "s3-amazon-path-style",
        {"DEFAULT_STORAGE_DSN": s3("s3.eu-central-1.amazonaws.com", "/my-bucket/media/")},
        Accepted(
            storage(
                bucket_name="my-bucket",
                region_name="eu-central-1",
                location="media",
                endpoint_url="https://s3.eu-central-1.amazonaws.com",
            )
        ),
    ),
    Case(
        "s3-unknown-amazon-host",
        {"DEFAULT_STORAGE_DSN": s3("my-bucket.s3-accelerate.amazonaws.com")},
        Refused("DEFAULT_STORAGE_DSN", "s3-accelerate"),
    ),
    Case(
        "s3-port-zero",
        {"DEFAULT_STORAGE_DSN": "s3://K:S@minio.example.com:0/bucket"},
        Refused("DEFAULT_STORAGE_DSN", "port 0"),
    ),
    Case(
        "s3-host-not-a-host-name",
        {"DEFAULT_STORAGE_DSN": "s3://K:S@minio_example.com/bucket"},
        Refused("DEFAULT_STORAGE_DSN", "minio_example.com"),
    ),
    Case(
        "s3-endpoint-not-http",
        {
            "DEFAULT_STORAGE_DSN": s3("my-bucket.s3.amazonaws.com"),
            "AWS_ENDPOINT_URL_S3": "ftp://s3.example.com",
        },
        Refused("AWS_ENDPOINT_URL_S3", "https://"),
    ),
    Case(
        "s3-endpoint-no-scheme",
        {"DEFAULT_STORAGE_DSN": s3("my-bucket.s3.amazonaws.com"), "AWS_ENDPOINT_URL_S3": "minio.example.com"},
        Refused("AWS_ENDPOINT_URL_S3", "https://"),
    ),
    Case(
        "s3-endpoint-no-host",
        {"DEFAULT_STORAGE_DSN": s3("my-bucket.s3.amazonaws.com"), "AWS_ENDPOINT_URL_S3": "https://:9000"},
        Refused("AWS_ENDPOINT_URL_S3", "host"),
    ),
    Case(
        "s3-endpoint-bad-port",
        {
            "DEFAULT_STORAGE_DSN": s3("my-bucket.s3.amazonaws.com"),
            "AWS_ENDPOINT_URL_S3": "https://s3.example.com:abc",
        },
        Refused("AWS_ENDPOINT_URL_S3", "port"),
    ),
    Case(
        "s3-endpoint-with-path",
        {
            "DEFAULT_STORAGE_DSN": s3("my-bucket.s3.amazonaws.com"),
            "AWS_ENDPOINT_URL_S3": "https://s3.example.com/x",
        },
        Refused("AWS_ENDPOINT_URL_S3", "path"),
    ),
    Case(
        "s3-endpoint-kept",
        {
            "DEFAULT_STORAGE_DSN": s3("my-bucket.s3.amazonaws.com"),
            "AWS_ENDPOINT_URL_S3": "http://[::1]:9000/",
        },
        Accepted(storage(bucket_name="my-bucket", endpoint_url="http://[::1]:9000")),
    ),
    Case(
        "s3-misspelt-parameter",
        {"DEFAULT_STORAGE_DSN": s3("minio.example.com", "/bucket/?regoin=eu")},
        Refused("DEFAULT_STORAGE_DSN", "regoin"),
    ),
    Case(
        "file-relative",
        {"DEFAULT_STORAGE_DSN": "file://relative/media/"},
        Refused("DEFAULT_STORAGE_DSN", "file:///"),
    ),
    Case(
        "file-no-slashes", {"DEFAULT_STORAGE_DSN": "file:media"}, Refused("DEFAULT_STORAGE_DSN", "absolute")
    ),
    Case(
        "file-url-without-slash",
        {"DEFAULT_STORAGE_DSN": "file:///data/media/?url=%2Fmedia"},
        Refused("DEFAULT_STORAGE_DSN", "slash"),
    ),
    Case(
        "file-default",
        {"DEFAULT_STORAGE_DSN": None},
        Accepted({"MEDIA_ROOT": "/data/media/", "MEDIA_URL": "/media/"}),
    ),
    # The proxies whose X-Forwarded-* headers count: addresses and networks, or "*" alone.
    Case(
        "forwarded-allow-ips-default",
        {"FORWARDED_ALLOW_IPS": None},
        Accepted({"FORWARDED_ALLOW_IPS": ["127.0.0.1", "::1"]}),
    ),
    Case(
        "forwarded-allow-ips-networks",
        {"FORWARDED_ALLOW_IPS": " 10.0.0.0/8, 192.0.2.7,fd00::/8 "},
        Accepted({"FORWARDED_ALLOW_IPS": ["10.0.0.0/8", "192.0.2.7", "fd00::/8"]}),
    ),
    Case("forwarded-allow-ips-any", {"FORWARDED_ALLOW_IPS": "*"}, Accepted({"FORWARDED_ALLOW_IPS": ["*"]})),
    Case(
        "forwarded-allow-ips-host-bits",
        {"FORWARDED_ALLOW_IPS": "10.1.2.3/8"},
        Refused("FORWARDED_ALLOW_IPS", "10.0.0.0/8"),
    ),
    Case(
        "forwarded-allow-ips-host-name",
        {"FORWARDED_ALLOW_IPS": "proxy.example.com"},
        Refused("FORWARDED_ALLOW_IPS", "not an IP address"),
    ),
    Case(
        "forwarded-allow-ips-spaces",
        {"FORWARDED_ALLOW_IPS": "10.0.0.0/8 192.0.2.7"},
        Refused("FORWARDED_ALLOW_IPS", "commas"),
    ),
    Case(
        "forwarded-allow-ips-star-and-more",
        {"FORWARDED_ALLOW_IPS": "*,10.0.0.0/8"},
        Refused("FORWARDED_ALLOW_IPS", "'*' alone"),
    ),
    # Read by the gateway server itself.
    Case("web-concurrency-abc", {"WEB_CONCURRENCY": "abc"}, Refused("WEB_CONCURRENCY"), gateway=True),
    Case("web-concurrency-zero", {"WEB_CONCURRENCY": "0"}, Refused("WEB_CONCURRENCY"), gateway=True),
    Case("web-concurrency-empty", {"WEB_CONCURRENCY": ""}, Refused("WEB_CONCURRENCY"), gateway=True),
    Case("port-abc", {"PORT": "abc"}, Refused("PORT"), gateway=True),
    Case("port-out-of-range", {"PORT": "70000"}, Refused("PORT", "65535"), gateway=True),
    Case("web-concurrency-4", {"WEB_CONCURRENCY": "4", "PORT": "8080"}, Accepted(), gateway=True),
    Case("web-threads-abc", {"WEB_THREADS": "abc"}, Refused("WEB_THREADS"), gateway=True),
    Case("web-threads-zero", {"WEB_THREADS": "0"}, Refused("WEB_THREADS", "1 to 1024"), gateway=True),
    Case("web-threads-empty", {"WEB_THREADS": ""}, Refused("WEB_THREADS"), gateway=True),
    Case("web-threads-16", {"WEB_THREADS": "16"}, Accepted(), gateway=True),
    Case("drain-seconds-abc", {"DRAIN_SECONDS": "abc"}, Refused("DRAIN_SECONDS"), gateway=True),
    Case("drain-seconds-negative", {"DRAIN_SECONDS": "-1"}, Refused("DRAIN_SECONDS"), gateway=True),
    # Too large to sleep for (OverflowError), fork for, or read at all (over 4300 digits).
    Case(
        "drain-seconds-1e30",
        {"DRAIN_SECONDS": "1e30"},
        Refused("DRAIN_SECONDS", "whole number"),
        gateway=True,
    ),
    Case(
        "drain-seconds-huge",
        {"DRAIN_SECONDS": "1" + "0" * 30},
        Refused("DRAIN_SECONDS", "from 0 to 3600"),
        gateway=True,
    ),
    Case("drain-seconds-an-hour", {"DRAIN_SECONDS": "3600"}, Accepted(), gateway=True),
    Case(
        "web-concurrency-5000-digits",
        {"WEB_CONCURRENCY": "9" * 5000},
        Refused("WEB_CONCURRENCY", "out of range"),
        gateway=True,
    ),
    Case(
        "web-concurrency-too-many",
        {"WEB_CONCURRENCY": "100000"},
        Refused("WEB_CONCURRENCY", "1024"),
        gateway=True,
    ),
    Case("port-5000-digits", {"PORT": "8" * 5000}, Refused("PORT", "65535"), gateway=True),
    # The address every gateway binds: IPv4 (uWSGI would bind 255.255.255.255 for an IPv6 one).
    Case("listen-address-ipv6", {"LISTEN_ADDRESS": "::"}, Refused("LISTEN_ADDRESS", "IPv6"), gateway=True),
    Case(
        "listen-address-ipv6-bracketed",
        {"LISTEN_ADDRESS": "[::1]"},
        Refused("LISTEN_ADDRESS", "0.0.0.0"),
        gateway=True,
    ),
    Case(
        "listen-address-host-name", {"LISTEN_ADDRESS": "localhost"}, Refused("LISTEN_ADDRESS"), gateway=True
    ),
    Case(
        "listen-address-with-port", {"LISTEN_ADDRESS": "0.0.0.0:80"}, Refused("LISTEN_ADDRESS"), gateway=True
    ),
    Case(
        "listen-address-leading-zeros",
        {"LISTEN_ADDRESS": "127.000.000.001"},
        Refused("LISTEN_ADDRESS"),
        gateway=True,
    ),
    Case("listen-address-empty", {"LISTEN_ADDRESS": ""}, Refused("LISTEN_ADDRESS", "empty"), gateway=True),
    Case("listen-address-loopback", {"LISTEN_ADDRESS": "127.0.0.1"}, Accepted(), gateway=True),
    # The metrics' port, read by drain.py before the gateway starts and by the settings: never the
    # public one.
    Case("metrics-port-9100", {"METRICS_PORT": "9100"}, Accepted({"METRICS_PORT": 9100})),
    Case("metrics-port-empty", {"METRICS_PORT": ""}, Accepted({"METRICS_PORT": None})),
    Case("metrics-port-abc", {"METRICS_PORT": "abc"}, Refused("METRICS_PORT", "whole number")),
    Case("metrics-port-zero", {"METRICS_PORT": "0"}, Refused("METRICS_PORT", "1 to 65535")),
    Case("metrics-port-too-big", {"METRICS_PORT": "65536"}, Refused("METRICS_PORT", "65535")),
    Case(
        "metrics-port-is-the-public-port",
        {"METRICS_PORT": "8080", "PORT": "8080"},
        Refused("METRICS_PORT", "the gateway's PORT"),
    ),
    # The environment and the release every log line, metric and error report names: Divio's
    # STAGE and GIT_BRANCH, and the commit the image's build passes as GIT_COMMIT.
    Case("stage-unset", {"STAGE": None}, Accepted({"ENVIRONMENT_NAME": "production"})),
    Case("stage-live", {"STAGE": "live"}, Accepted({"ENVIRONMENT_NAME": "live"})),
    Case("stage-dotted", {"STAGE": "eu-1.staging_2"}, Accepted({"ENVIRONMENT_NAME": "eu-1.staging_2"})),
    Case("stage-spaced", {"STAGE": "my staging"}, Refused("STAGE", "letters, digits")),
    Case("stage-slash", {"STAGE": "eu/live"}, Refused("STAGE", "e.g. staging")),
    Case("stage-65-characters", {"STAGE": "s" * 65}, Refused("STAGE", "1 to 64")),
    Case("release-unset", {"GIT_COMMIT": None, "GIT_BRANCH": None}, Accepted({"RELEASE": None})),
    Case(
        "commit-whole-upper-case",
        {"GIT_COMMIT": "4F2C1E9D0B3A8C7E6F5A4B3C2D1E0F9A8B7C6D5E"},
        Accepted({"RELEASE": "4f2c1e9d0b3a8c7e6f5a4b3c2d1e0f9a8b7c6d5e"}),
    ),
    Case("commit-abbreviated", {"GIT_COMMIT": "4f2c1e9"}, Accepted({"RELEASE": "4f2c1e9"})),
    Case("commit-too-short", {"GIT_COMMIT": "4f2c1e"}, Refused("GIT_COMMIT", "7 to 64 hexadecimal")),
    Case("commit-a-version", {"GIT_COMMIT": "v1.2.3"}, Refused("GIT_COMMIT", "git rev-parse HEAD")),
    Case("commit-65-digits", {"GIT_COMMIT": "a" * 65}, Refused("GIT_COMMIT", "hexadecimal")),
    Case("branch-divio", {"GIT_BRANCH": "main"}, Accepted({"RELEASE": "main"})),
    Case("branch-with-slash", {"GIT_BRANCH": "release/2.0"}, Accepted({"RELEASE": "release/2.0"})),
    Case(
        "commit-wins-over-branch",
        {"GIT_BRANCH": "main", "GIT_COMMIT": "4f2c1e9"},
        Accepted({"RELEASE": "4f2c1e9"}),
    ),
    Case("branch-spaced", {"GIT_BRANCH": "my branch"}, Refused("GIT_BRANCH", "no spaces")),
    Case("branch-201-characters", {"GIT_BRANCH": "b" * 201}, Refused("GIT_BRANCH", "200")),
    # Sentry's DSN: as the project's settings show it, or refused without repeating its key.
    Case("sentry-dsn-unset", {"SENTRY_DSN": None}, Accepted({"SENTRY_DSN": None})),
    Case("sentry-dsn-empty", {"SENTRY_DSN": " "}, Accepted({"SENTRY_DSN": None})),
    Case(
        "sentry-dsn-sentry-io",
        {"SENTRY_DSN": f"https://{SENTRY_KEY}@o4507.ingest.de.sentry.io/4508"},
        Accepted({"SENTRY_DSN": f"https://{SENTRY_KEY}@o4507.ingest.de.sentry.io/4508"}),
    ),
    Case(
        "sentry-dsn-self-hosted-path-and-port",
        {"SENTRY_DSN": f"http://{SENTRY_KEY}@[::1]:9000/sentry/12"},
        Accepted({"SENTRY_DSN": f"http://{SENTRY_KEY}@[::1]:9000/sentry/12"}),
    ),
    Case(
        "sentry-dsn-no-key",
        {"SENTRY_DSN": "https://o4507.ingest.sentry.io/4508"},
        Refused("SENTRY_DSN", "no key"),
    ),
    Case(
        "sentry-dsn-no-project",
        {"SENTRY_DSN": f"https://{SENTRY_KEY}@o4507.ingest.sentry.io/"},
        Refused("SENTRY_DSN", "project's number", hides=SENTRY_KEY),
    ),
    Case(
        "sentry-dsn-query",
        {"SENTRY_DSN": f"https://{SENTRY_KEY}@o4507.ingest.sentry.io/4508?timeout=5"},
        Refused("SENTRY_DSN", "project's number", hides=SENTRY_KEY),
    ),
    Case(
        "sentry-dsn-ftp",
        {"SENTRY_DSN": f"ftp://{SENTRY_KEY}@o4507.ingest.sentry.io/4508"},
        Refused("SENTRY_DSN", "https://", hides=SENTRY_KEY),
    ),
    Case(
        "sentry-dsn-bad-port",
        {"SENTRY_DSN": f"https://{SENTRY_KEY}@sentry.example.com:99999/1"},
        Refused("SENTRY_DSN", "port", hides=SENTRY_KEY),
    ),
    Case(
        "sentry-dsn-port-zero",
        {"SENTRY_DSN": f"https://{SENTRY_KEY}@sentry.example.com:0/1"},
        Refused("SENTRY_DSN", "port 0", hides=SENTRY_KEY),
    ),
    Case(
        "sentry-dsn-bad-host",
        {"SENTRY_DSN": f"https://{SENTRY_KEY}@sentry_example.com/1"},
        Refused("SENTRY_DSN", "host", hides=SENTRY_KEY),
    ),
    Case("sentry-dsn-not-a-url", {"SENTRY_DSN": SENTRY_KEY}, Refused("SENTRY_DSN", hides=SENTRY_KEY)),
]
# The traces' collector: the base URL of an OTLP/HTTP receiver, or unset (traces off).
OTLP = "OTEL_EXPORTER_OTLP_ENDPOINT"
CASES += [
    Case(f"otlp-endpoint-{name}", {OTLP: value}, expected)
    for name, value, expected in (
        ("unset", None, Accepted({"TRACES_ENDPOINT": None})),
        ("empty", "", Accepted({"TRACES_ENDPOINT": None})),
        ("http", "http://otel-collector:4318", Accepted({"TRACES_ENDPOINT": "http://otel-collector:4318"})),
        (
            "https-path",
            "https://otlp.example.com/otlp",
            Accepted({"TRACES_ENDPOINT": "https://otlp.example.com/otlp"}),
        ),
        ("grpc", "grpc://otel-collector:4317", Refused(OTLP, "http:// or https://")),
        ("no-scheme", "otel-collector:4318", Refused(OTLP, "http:// or https://")),
        ("no-host", "http://:4318", Refused(OTLP, "no host")),
        ("port-zero", "http://otel-collector:0", Refused(OTLP, "port 0")),
        ("bad-port", "http://otel-collector:43l8", Refused(OTLP, "malformed")),
        ("traces-path", "http://otel-collector:4318/v1/traces", Refused(OTLP, "adds itself")),
        # A credential in the URL is not repeated in the refusal.
        ("ftp-with-password", "ftp://user:pa55word@collector", Refused(OTLP, "https://", hides="pa55word")),
    )
]
# The worker backend whose server has a URL of its own, and one that runs a worker process.
QUEUE_SERVER = next(name for name, row in variants.WORKERS.items() if row.url_variable)
WORKER_PROCESS = next(name for name, row in variants.WORKERS.items() if row.command)
REDIS = variants.WORKERS[QUEUE_SERVER].url_variable
SHUTDOWN_DEFAULT = variants.WORKERS[WORKER_PROCESS].shutdown_timeout


def queue_url(url: str) -> dict:
    return {"RQ_QUEUES.default.URL": url}


CASES += [
    Case(f"{REDIS.lower()}-{name}", {REDIS: value}, expected, worker=QUEUE_SERVER)
    for name, value, expected in (
        ("unset", None, Refused(REDIS, "not set")),
        ("empty", "", Refused(REDIS, "not set")),
        ("http", "http://cache:6379/0", Refused(REDIS, "redis://")),
        ("no-scheme", "cache:6379", Refused(REDIS, "redis://")),
        ("no-host", "redis://:6379/0", Refused(REDIS, "host")),
        ("bad-host", "redis://ca che/0", Refused(REDIS, "host")),
        ("port-too-big", "redis://cache:99999/0", Refused(REDIS, "port")),
        ("port-zero", "redis://cache:0/0", Refused(REDIS, "port")),
        ("database-name", "redis://cache:6379/queue", Refused(REDIS, "database number")),
        ("plain", "redis://cache:6379/0", Accepted(queue_url("redis://cache:6379/0"))),
        ("no-database", "redis://cache", Accepted(queue_url("redis://cache"))),
        (
            "tls-password",
            "rediss://:p%40ss@cache.example.com:6380/1",
            Accepted(queue_url("rediss://:p%40ss@cache.example.com:6380/1")),
        ),
        ("ipv6", "redis://[::1]:6379/0", Accepted(queue_url("redis://[::1]:6379/0"))),
    )
] + [
    Case(f"worker-shutdown-{name}", {"WORKER_SHUTDOWN_TIMEOUT": value}, expected, worker=WORKER_PROCESS)
    for name, value, expected in (
        ("unset", None, Accepted({"WORKER_SHUTDOWN_TIMEOUT": SHUTDOWN_DEFAULT})),
        ("60", "60", Accepted({"WORKER_SHUTDOWN_TIMEOUT": 60})),
        ("zero", "0", Refused("WORKER_SHUTDOWN_TIMEOUT", "from 1 to 3600")),
        ("hour-and-one", "3601", Refused("WORKER_SHUTDOWN_TIMEOUT", "from 1 to 3600")),
        ("words", "half a minute", Refused("WORKER_SHUTDOWN_TIMEOUT", "whole number")),
        ("huge", "9" * 30, Refused("WORKER_SHUTDOWN_TIMEOUT", "out of range")),
    )
]

SETTINGS_CASES = [case for case in CASES if not case.gateway]
GATEWAY_CASES = [case for case in CASES if case.gateway]


def case_param(case: Case):
    return pytest.param(case, id=case.id)


def dig(settings: dict, dotted: str):
    name, *keys = dotted.split(".")
    value = settings[name]
    for key in keys:
        value = value[key]
    return value


def assert_one_line_refusal(message: object, refused: Refused):
    assert isinstance(message, str), f"exited with {message!r}, not a message"
    assert "\n" not in message, message
    assert message.startswith(PREFIX), message
    assert re.split("[=: ]", message.removeprefix(PREFIX))[0] == refused.variable, message
    assert refused.says in message, message
    assert not refused.hides or refused.hides not in message, message


@pytest.fixture(scope="module")
def settings_outcomes(render):
    """settings_outcomes(database, worker) -> {case id: outcome} for the cases of that database and
    worker backend (None: its paired one), in one process."""
    outcomes = {}
    names = sorted(
        {
            dotted.split(".")[0]
            for c in SETTINGS_CASES
            if isinstance(c.expected, Accepted)
            for dotted in c.expected.settings
        }
    )

    def get(database, worker):
        if (database, worker) not in outcomes:
            cases = [c for c in SETTINGS_CASES if (c.database or DEFAULT, c.worker) == (database, worker)]
            base = {
                "DATABASE_URL": "sqlite:////data/db.sqlite3",
                "DEFAULT_STORAGE_DSN": "file:///data/media/",
            }
            envs = {c.id: production_env(**{**base, **c.env}) for c in cases}
            project = render(database=database, **({"worker": worker} if worker else {}))
            outcomes[database, worker] = evaluate_settings(Manage(project), SLUG, envs, names)
        return outcomes[database, worker]

    return get


@pytest.mark.parametrize("case", [case_param(c) for c in SETTINGS_CASES])
def test_settings_take_the_value_exactly_or_refuse_it_in_one_line(case, settings_outcomes):
    outcome = settings_outcomes(case.database or DEFAULT, case.worker)[case.id]
    assert "traceback" not in outcome, outcome["traceback"]
    if isinstance(case.expected, Refused):
        assert "exit" in outcome, f"accepted: {outcome}"
        assert_one_line_refusal(outcome["exit"], case.expected)
    else:
        assert "settings" in outcome, f"refused: {outcome.get('exit')}"
        for dotted, value in case.expected.settings.items():
            assert dig(outcome["settings"], dotted) == value, dotted


# What the image's CMD has besides the case's variables (the default database's).
IMAGE_BASE = {
    "DATABASE_URL": variants.DATABASES[DEFAULT].local_database_url,
    "DEFAULT_STORAGE_DSN": "file:///data/media/",
}
# The settings' refusals, tried in the environment check too: it imports the settings before any
# gateway starts (uvicorn's workers would otherwise fail on them one after another, forever).
SETTINGS_REFUSALS = [
    c for c in CASES if isinstance(c.expected, Refused) and not c.gateway and not c.database and not c.worker
]


@pytest.mark.parametrize("case", [case_param(c) for c in GATEWAY_CASES + SETTINGS_REFUSALS])
def test_the_environment_check_refuses_before_the_gateway_starts(case, render):
    result = run_gateway_check(Manage(render()), SLUG, production_env(**{**IMAGE_BASE, **case.env}))
    if isinstance(case.expected, Refused):
        assert result.returncode != 0
        assert_one_line_refusal(result.stderr.strip(), case.expected)
    else:
        assert (result.returncode, result.stderr) == (0, "")


def test_the_table_holds_enough_cases():
    refused = [case for case in CASES if isinstance(case.expected, Refused)]
    assert len(CASES) >= 160
    assert len(refused) >= 100


def test_image_refuses_every_bad_value_with_a_last_line_naming_it(server, render, build, docker_client):
    """Each refusal, as the image's CMD (on the default database's image, with the worker paired
    with its gateway: the worker's own cases on the image that has it). The CMD checks the
    environment before it starts any gateway, so a case refused under one gateway's image is
    refused the same way under the others': the cases are shared out, each gateway's image taking
    every third, so that each runs once and each gateway's CMD is proven to check first."""
    image = build(render(database=DEFAULT, server=server))
    worker = variants.paired_worker(DEFAULT, server)
    applicable = [c for c in CASES if isinstance(c.expected, Refused) and (c.database or DEFAULT) == DEFAULT]
    share = list(variants.SERVERS).index(server)
    any_image = [c for c in applicable if c.worker is None]
    refused = any_image[share :: len(variants.SERVERS)] + [c for c in applicable if c.worker == worker]
    outcomes = start_images_cmd(
        docker_client, image, {c.id: production_env(**{**IMAGE_BASE, **c.env}) for c in refused}
    )
    problems = []
    for case in refused:
        status, logs = outcomes[case.id]
        line = last_line(logs)
        hidden = case.expected.hides and case.expected.hides in logs
        if status in (0, None) or "Traceback" in logs or case.expected.variable not in line or hidden:
            problems.append(f"{case.id}: exit {status}, last line {line!r}")
    assert not problems, "\n".join(problems)
