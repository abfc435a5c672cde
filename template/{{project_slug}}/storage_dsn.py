"""Turn DEFAULT_STORAGE_DSN into a STORAGES["default"] entry.

Accepted forms:
    file:///data/media/?url=%2Fmedia%2F
        Files on local disk under an absolute path, here /data/media/, served at /media/.
    s3://KEY:SECRET@BUCKET.s3.REGION.amazonaws.com/[PREFIX/][?auth=s3v4&domain=cdn.example.com]
        Amazon S3 (the form Divio provides). The bucket may contain dots. Besides s3.REGION, the
        host may name s3-REGION, s3 (no region), s3-external-1, s3.dualstack.REGION,
        s3-fips.REGION or s3-fips.dualstack.REGION.
    s3://KEY:SECRET@HOST[:PORT]/BUCKET/[PREFIX/][?region=REGION]
        Any other S3-compatible service (MinIO, Cloudflare R2, ...), addressed by path; also
        Amazon's own s3.REGION.amazonaws.com. Use s3+http:// for an endpoint that speaks plain HTTP.

KEY and SECRET must be URL-encoded (a "/" in a secret is "%2F"): an unencoded "/" is refused, as
the DSN could then be read in more than one way. AWS_ENDPOINT_URL_S3, boto3's own variable,
overrides the endpoint for every s3 form.
"""

import os
import re
from urllib.parse import parse_qs, unquote, urlsplit

# BUCKET.SERVICE.amazonaws.com, where SERVICE says the region (and the dualstack or FIPS endpoint).
# The bucket comes first and may contain dots: the service part is matched from the end.
AMAZON_HOST = re.compile(
    r"((?P<bucket>[a-z0-9.-]+)\.)??"
    r"(?P<service>s3(-fips)?(\.dualstack)?([.-](?P<region>[a-z]{2}(-[a-z]+)+-[0-9]+))?|s3-external-1)"
    r"\.amazonaws\.com"
)
QUERY_KEYS = {"file": {"url"}, "s3": {"auth", "domain", "region"}}


# A host name or IPv4 address, or an IPv6 address in brackets (urlsplit drops the brackets).
LABEL = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"
HOST = re.compile(rf"({LABEL}\.)*{LABEL}|[0-9a-f:.]*:[0-9a-f:.]*")


class StorageDSNError(ValueError):
    def __init__(self, message, variable="DEFAULT_STORAGE_DSN"):
        super().__init__(message)
        # The environment variable whose value is wrong.
        self.variable = variable


def storage_from_dsn(dsn):
    """Return (storage entry, MEDIA_ROOT, MEDIA_URL) for a storage DSN."""
    parts = urlsplit(dsn)
    if parts.scheme not in ("file", "s3", "s3+http"):
        raise StorageDSNError(f"has an unknown scheme {parts.scheme!r} (use file, s3 or s3+http)")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    known = QUERY_KEYS[parts.scheme.removesuffix("+http")]
    if set(query) - known:
        unknown, accepted = ", ".join(sorted(set(query) - known)), ", ".join(sorted(known))
        raise StorageDSNError(f"has unknown query parameters {unknown} (it takes {accepted})")
    if parts.scheme == "file":
        return _file_storage(parts, query)
    return _s3_storage(parts, query), "", "/media/"


def _file_storage(parts, query):
    location = unquote(parts.path)
    if parts.netloc or not location.startswith("/"):
        raise StorageDSNError("must name an absolute path, with three slashes: file:///data/media/")
    base_url = query.get("url", "/media/")
    if not base_url.endswith("/"):
        raise StorageDSNError(f"has url={base_url!r}, which must end with a slash")
    options = {"location": location, "base_url": base_url}
    storage = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": options}
    return storage, location, base_url


def _s3_storage(parts, query):
    if "@" not in parts.netloc and "@" in parts.geturl().partition("://")[2]:
        raise StorageDSNError(
            "has a '/', '?' or '#' before its host: URL-encode the access key and secret "
            "('/' is %2F, '?' is %3F, '#' is %23)"
        )
    try:
        port = parts.port
    except ValueError:
        where = parts.netloc.rpartition("@")[2]
        raise StorageDSNError(f"has a bad port in {where!r} (use 1 to 65535)") from None
    if not parts.username or not parts.password or not parts.hostname:
        raise StorageDSNError("must name an access key, a secret key and a host")
    host = parts.hostname
    if not HOST.fullmatch(host):
        raise StorageDSNError(f"has a host {host!r} that is not a host name (a-z, 0-9, -, .)")
    if port == 0:
        raise StorageDSNError(f"has port 0 in {parts.netloc.rpartition('@')[2]!r} (use 1 to 65535)")
    path = parts.path.strip("/")
    options = {
        "access_key": unquote(parts.username),
        "secret_key": unquote(parts.password),
        # New buckets refuse ACLs: objects stay private and URLs are signed.
        "default_acl": None,
        "file_overwrite": False,
    }
    amazon = AMAZON_HOST.fullmatch(host)
    if host.endswith(".amazonaws.com") and not amazon:
        raise StorageDSNError(
            f"has an Amazon host {host!r} that is not a form it takes (see storage_dsn.py)"
        )
    if amazon and amazon["bucket"]:
        bucket, prefix = amazon["bucket"], path
    else:
        bucket, _, prefix = path.partition("/")
    if amazon:
        service, region = amazon["service"], amazon["region"]
        if service == "s3-external-1":
            region = "us-east-1"
        if region:
            options["region_name"] = region
        if "fips" in service or "dualstack" in service or not amazon["bucket"]:
            options["endpoint_url"] = f"https://{service}.amazonaws.com"
    else:
        scheme = "http" if parts.scheme == "s3+http" else "https"
        netloc = host if port is None else f"{host}:{port}"
        options["endpoint_url"] = f"{scheme}://{netloc}"
        options["addressing_style"] = "path"
    if not bucket:
        raise StorageDSNError("does not name a bucket")
    options["bucket_name"] = bucket
    options["location"] = prefix.strip("/")
    if "region" in query:
        options["region_name"] = query["region"]
    if "auth" in query:
        options["signature_version"] = query["auth"]
    if "domain" in query:
        options["custom_domain"] = query["domain"]
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3", "").strip()
    if endpoint:
        options["endpoint_url"] = _endpoint_url(endpoint)
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


def _endpoint_url(endpoint):
    """AWS_ENDPOINT_URL_S3, checked: http(s), a host, a port if any, nothing after them."""
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if not parts:
        problem = "has a bad host or port"
    elif parts.scheme not in ("http", "https"):
        problem = "is not an http:// or https:// URL"
    elif "@" in parts.netloc:
        problem = "has a user name or password (they belong in DEFAULT_STORAGE_DSN)"
    elif not parts.hostname or not HOST.fullmatch(parts.hostname):
        problem = "names no host name"
    elif port == 0:
        problem = "has port 0"
    elif parts.path.strip("/") or parts.query or parts.fragment:
        problem = "has a path, query or fragment"
    else:
        return endpoint.rstrip("/")
    raise StorageDSNError(
        f"is {endpoint!r}, which {problem}; give http:// or https://, a host and an optional port, "
        "e.g. https://minio.example.com:9000",
        variable="AWS_ENDPOINT_URL_S3",
    )
