"""The rendered settings under a production environment, run with each variant's requirements."""

import importlib.util
import os
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from harness.project import SAVE_AND_READ_MEDIA, Manage


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


# Under drain.py as the image runs it: prints whether it drains, then again once SIGTERM made it so.
DRAIN_PROBE = """
import sys, time
from example_shop.drain import draining
print(draining(), flush=True)
while not draining():
    time.sleep(0.05)
print(draining(), flush=True)
time.sleep(60)
"""


def run_under_drain(manage: Manage, crash: bool = False) -> list[str]:
    """The probe's lines under `python -m example_shop.drain`, sent SIGTERM once it has started;
    with `crash`, drain.py is then killed outright mid-drain (it cannot clean up)."""
    process = subprocess.Popen(
        [manage.python, "-B", "-m", "example_shop.drain", manage.python, "-B", "-c", DRAIN_PROBE],
        cwd=manage.project,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "DRAIN_SECONDS": "1"},
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    lines = [process.stdout.readline().strip()]
    process.send_signal(signal.SIGTERM)
    lines.append(process.stdout.readline().strip())
    if crash:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    return lines


def test_the_drain_marker_ends_with_its_process(render):
    manage = Manage(render())
    markers = Path(tempfile.gettempdir()).glob("example_shop-draining-*")
    assert run_under_drain(manage) == ["False", "True"]
    assert list(markers) == [], "no marker outlives the process that wrote it"
    assert run_under_drain(manage, crash=True) == ["False", "True"]
    leftover = list(Path(tempfile.gettempdir()).glob("example_shop-draining-*"))
    try:
        assert run_under_drain(manage) == ["False", "True"], "a rerun serves, not drains"
        # Outside drain.py (runserver, a test), nothing drains.
        code = "from example_shop.drain import draining; print(draining())"
        result = subprocess.run(
            [manage.python, "-B", "-c", code], cwd=manage.project, capture_output=True, text=True, check=True
        )
        assert result.stdout.strip() == "False"
    finally:
        for marker in leftover:
            marker.unlink(missing_ok=True)
