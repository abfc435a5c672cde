"""Turn DEFAULT_STORAGE_DSN into a STORAGES["default"] entry.

Accepted forms:
    file:///data/media/?url=%2Fmedia%2F
        Files on local disk under /data/media/, served at /media/.
    s3://KEY:SECRET@BUCKET.s3.REGION.amazonaws.com/[PREFIX/][?auth=s3v4&domain=cdn.example.com]
        Amazon S3 (the form Divio provides). REGION may be omitted, or written s3-REGION.
    s3://KEY:SECRET@HOST[:PORT]/BUCKET/[PREFIX/][?region=REGION]
        Any other S3-compatible service (MinIO, Cloudflare R2, ...), addressed by path.
        Use s3+http:// for an endpoint that speaks plain HTTP.

KEY and SECRET must be URL-encoded (a "/" in a secret is "%2F"). AWS_ENDPOINT_URL_S3, boto3's own
variable, overrides the endpoint for every s3 form.
"""

import os
from urllib.parse import parse_qs, unquote, urlsplit

AMAZON_SUFFIX = ".amazonaws.com"


class StorageDSNError(ValueError):
    pass


def storage_from_dsn(dsn):
    """Return (storage entry, MEDIA_ROOT, MEDIA_URL) for a storage DSN."""
    parts = urlsplit(dsn)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if parts.scheme == "file":
        location = unquote(parts.path)
        base_url = query.get("url", "/media/")
        options = {"location": location, "base_url": base_url}
        storage = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": options}
        return storage, location, base_url
    if parts.scheme in ("s3", "s3+http"):
        return _s3_storage(parts, query), "", "/media/"
    raise StorageDSNError(f"has an unknown scheme {parts.scheme!r} (expected file, s3 or s3+http)")


def _s3_storage(parts, query):
    if not parts.username or not parts.password or not parts.hostname:
        raise StorageDSNError("must name an access key, a secret key and a host")
    host = parts.hostname
    path = parts.path.strip("/")
    options = {
        "access_key": unquote(parts.username),
        "secret_key": unquote(parts.password),
        # New buckets refuse ACLs: objects stay private and URLs are signed.
        "default_acl": None,
        "file_overwrite": False,
    }
    if host.endswith(AMAZON_SUFFIX) and ".s3" in host:
        bucket, _, service = host[: -len(AMAZON_SUFFIX)].partition(".s3")
        region = service.lstrip(".-")
        if region:
            options["region_name"] = region
        prefix = path
    else:
        bucket, _, prefix = path.partition("/")
        scheme = "http" if parts.scheme == "s3+http" else "https"
        netloc = host if parts.port is None else f"{host}:{parts.port}"
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
    if os.environ.get("AWS_ENDPOINT_URL_S3"):
        options["endpoint_url"] = os.environ["AWS_ENDPOINT_URL_S3"]
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
