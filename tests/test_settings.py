"""The rendered settings under a production environment, run with each variant's requirements."""

import importlib.util

import pytest

from harness.project import SAVE_AND_READ_MEDIA


def test_deploy_check_passes_in_production(manage, production_env_on_disk):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env_on_disk())
    assert "no issues" in result.stdout


def test_migrate_and_collectstatic_on_sqlite(manage, tmp_path, production_env_on_disk):
    manage("migrate", "--noinput", env=production_env_on_disk())
    assert (tmp_path / "db.sqlite3").stat().st_size > 0
    manage("collectstatic", "--noinput", env=production_env_on_disk())
    static = manage.project / "staticfiles"
    assert (static / "staticfiles.json").exists(), "manifest storage wrote its manifest"
    assert list(static.glob("admin/css/base.*.css.gz")), "hashed and compressed copies exist"


def saved_media(manage, env) -> tuple[str, str]:
    """(name, content) of a file saved and read back through the default storage."""
    name, content = manage("shell", "--verbosity=0", "-c", SAVE_AND_READ_MEDIA, env=env).stdout.splitlines()
    return name, content


def test_media_file_round_trip_through_file_dsn(manage, tmp_path, production_env_on_disk):
    name, content = saved_media(manage, production_env_on_disk())
    assert content == "hello media"
    assert (tmp_path / "media" / name).read_bytes() == b"hello media"


def test_media_file_round_trip_through_s3_compatible_endpoint(manage, production_env_on_disk, s3_server):
    # A generic S3-compatible endpoint over plain http, addressed by path; the secret has a "/".
    host = s3_server.endpoint_url.removeprefix("http://")
    dsn = f"s3+http://test-key:test%2Fsecret@{host}/media-bucket/uploads/"
    name, content = saved_media(manage, production_env_on_disk(DEFAULT_STORAGE_DSN=dsn))
    assert content == "hello media"
    assert s3_server.get_object("media-bucket", f"uploads/{name}") == b"hello media"


def test_amazon_dsn_honours_aws_endpoint_url_s3(manage, production_env_on_disk, s3_server):
    env = production_env_on_disk(
        DEFAULT_STORAGE_DSN="s3://test-key:test-secret@media-bucket.s3.eu-central-1.amazonaws.com/?auth=s3v4",
        AWS_ENDPOINT_URL_S3=s3_server.endpoint_url,
    )
    name, content = saved_media(manage, env)
    assert content == "hello media"
    assert s3_server.get_object("media-bucket", name) == b"hello media"


def assert_refused_in_one_line(result, variable: str):
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert variable in result.stderr


def test_missing_secret_key_stops_with_a_one_line_reason(manage, production_env_on_disk):
    result = manage("check", env=production_env_on_disk(SECRET_KEY=None), check=False)
    assert_refused_in_one_line(result, "SECRET_KEY")


def test_debug_runs_without_secret_key(manage, production_env_on_disk):
    manage("check", env=production_env_on_disk(SECRET_KEY=None, DJANGO_DEBUG="True"))


@pytest.mark.parametrize("url", ["not a url", "postgres://user@host:port/db", "ftp://example.com/db"])
def test_malformed_database_url_stops_with_a_one_line_reason(manage, production_env_on_disk, url):
    result = manage("check", env=production_env_on_disk(DATABASE_URL=url), check=False)
    assert_refused_in_one_line(result, "DATABASE_URL")


@pytest.mark.parametrize("dsn", ["ftp://example.com/media", "s3://no-credentials.example.com/bucket"])
def test_unusable_storage_dsn_stops_with_a_one_line_reason(manage, production_env_on_disk, dsn):
    result = manage("check", env=production_env_on_disk(DEFAULT_STORAGE_DSN=dsn), check=False)
    assert_refused_in_one_line(result, "DEFAULT_STORAGE_DSN")


# --- the DSN parser on its own ------------------------------------------------------------------


@pytest.fixture(scope="module")
def storage_dsn(render):
    path = render() / "example_shop" / "storage_dsn.py"
    spec = importlib.util.spec_from_file_location("rendered_storage_dsn", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_guide_file_dsn(storage_dsn):
    storage, root, url = storage_dsn.storage_from_dsn("file:///data/media/?url=%2Fmedia%2F")
    assert storage["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert (root, url) == ("/data/media/", "/media/")


@pytest.mark.parametrize(
    ("host", "region"),
    [
        ("my-bucket.s3.amazonaws.com", None),
        ("my-bucket.s3.eu-central-1.amazonaws.com", "eu-central-1"),
        ("my-bucket.s3-eu-west-2.amazonaws.com", "eu-west-2"),
    ],
)
def test_divio_s3_dsn(storage_dsn, monkeypatch, host, region):
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    dsn = f"s3://AKIAKEY:se%2Fcret@{host}/prefix/?auth=s3v4&domain=cdn.example.com"
    options = storage_dsn.storage_from_dsn(dsn)[0]["OPTIONS"]
    assert options["bucket_name"] == "my-bucket"
    assert options.get("region_name") == region
    assert (options["access_key"], options["secret_key"]) == ("AKIAKEY", "se/cret")
    assert options["location"] == "prefix"
    assert options["signature_version"] == "s3v4"
    assert options["custom_domain"] == "cdn.example.com"
    assert options["default_acl"] is None
    assert "endpoint_url" not in options


def test_s3_compatible_dsn(storage_dsn, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    dsn = "s3://KEY:SECRET@account.r2.cloudflarestorage.com/bucket/media?region=auto"
    options = storage_dsn.storage_from_dsn(dsn)[0]["OPTIONS"]
    assert options["endpoint_url"] == "https://account.r2.cloudflarestorage.com"
    assert (options["bucket_name"], options["location"], options["region_name"]) == (
        "bucket",
        "media",
        "auto",
    )
    plain = storage_dsn.storage_from_dsn("s3+http://K:S@127.0.0.1:9000/bucket/")[0]["OPTIONS"]
    assert plain["endpoint_url"] == "http://127.0.0.1:9000"
    assert plain["addressing_style"] == "path"
