"""What an orchestrator relies on when it runs several containers of one image, tried with real
containers: concurrent migrations, replicas that share everything, a rolling replacement under
load behind HAProxy, and a request in flight when SIGTERM comes."""

from __future__ import annotations

import os
import re
import threading
import time

import pytest
import requests
import yaml

from harness.balancer import HAProxy, Load, haproxy_binary
from harness.environments import production_env
from harness.images import App, ProxiedClient, run_once, with_test_views
from harness.project import SAVE_AND_READ_MEDIA
from harness.services import has_test_server, missing_service

SUPERUSER = {"DJANGO_SUPERUSER_USERNAME": "admin", "DJANGO_SUPERUSER_PASSWORD": "a long admin passphrase 42"}
PROXIED = {"Host": "localhost", "X-Forwarded-Proto": "https"}


@pytest.fixture
def shared_env(database_servers, s3_server):
    """What every replica of one deployment gets: one PostgreSQL database, one S3 bucket, one
    secret key."""
    name = f"replicas_{os.urandom(4).hex()}"
    s3_host = s3_server.endpoint_url.removeprefix("http://")
    return production_env(
        DOMAIN="localhost",
        DOMAIN_ALIASES="127.0.0.1",
        DATABASE_URL=database_servers("postgresql").create_database(name),
        DEFAULT_STORAGE_DSN=f"s3+http://key:secret@{s3_host}/media-bucket/{name}/",
    )


def migrated(docker_client, image, env):
    status, output = run_once(docker_client, image, ["python", "manage.py", "migrate", "--noinput"], env)
    assert status == 0, output
    superuser = ["python", "manage.py", "createsuperuser", "--noinput", "--email=admin@example.com"]
    status, output = run_once(docker_client, image, superuser, {**env, **SUPERUSER})
    assert status == 0, output


def grace_period(project) -> int:
    deployment = yaml.safe_load((project / "deploy/kubernetes/base/deployment.yaml").read_text())
    return deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]


def start_and_wait_until_ready(app: App, probe="/readyz", timeout=60.0):
    """Start `app` and wait for `probe` to answer 200, as an orchestrator does before it sends
    traffic (a gateway may accept connections well before its application has loaded)."""
    app.start(wait=False)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(app.url(probe), timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        assert app.status() != "exited", app.logs()[-3000:]
        assert time.monotonic() < deadline, f"{probe} not 200 within {timeout}s:\n{app.logs()[-3000:]}"
        time.sleep(0.1)


@pytest.mark.variants(database=has_test_server)
def test_concurrent_migrations_take_turns_and_all_succeed(
    docker_client, render, build, database, database_servers
):
    image = build(render(database=database))
    env = production_env(
        DATABASE_URL=database_servers(database).create_database(f"race_{os.urandom(4).hex()}")
    )
    command = ["python", "manage.py", "migrate", "--noinput"]
    containers = [
        docker_client.containers.create(image, command, environment=env, network_mode="host")
        for _ in range(3)
    ]
    try:
        for container in containers:
            container.start()
        results = [(c.wait(timeout=300)["StatusCode"], c.logs().decode(errors="replace")) for c in containers]
    finally:
        for container in containers:
            container.remove(force=True)
    for status, output in results:
        assert status == 0, output
        assert not re.search(r"already exists|duplicate|deadlock|lock wait", output, re.IGNORECASE), output
    assert sum("Applying " in output for _, output in results) == 1, "one run migrated, the others waited"
    status, output = run_once(docker_client, image, [*command, "--check"], env)
    assert status == 0, f"unapplied migrations remain:\n{output}"


def test_replicas_share_sessions_media_and_static_files(docker_client, render, build, shared_env):
    image = build(render(database="postgresql"))
    migrated(docker_client, image, shared_env)
    replicas = [App(docker_client, image, shared_env) for _ in range(3)]
    try:
        for replica in replicas:
            start_and_wait_until_ready(replica)
        first, *others = replicas

        browser = ProxiedClient(first)
        login = browser.log_in(browser.get("/admin/login/"), *SUPERUSER.values())
        assert login.status_code == 302, login.text[:2000]
        for other in others:
            elsewhere = ProxiedClient(other)
            elsewhere.cookies.update(browser.cookies)
            admin = elsewhere.get("/admin/")
            assert admin.status_code == 200
            assert "Site administration" in admin.text

        saved = first.exec("python", "manage.py", "shell", "--verbosity=0", "-c", SAVE_AND_READ_MEDIA)
        name = saved.splitlines()[-2]
        url_of = (
            f"from django.core.files.storage import default_storage; print(default_storage.url({name!r}))"
        )
        for other in others:
            url = other.exec("python", "manage.py", "shell", "--verbosity=0", "-c", url_of).strip()
            assert requests.get(url, timeout=10).content == b"hello media"

        stylesheets = set()
        for replica in replicas:
            page = ProxiedClient(replica).get("/admin/login/")
            stylesheets.add(
                re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', page.text).group(1)
            )
        (stylesheet,) = stylesheets
        for replica in replicas:
            assert ProxiedClient(replica).get(stylesheet).status_code == 200
    finally:
        for replica in replicas:
            replica.remove()


@pytest.fixture(scope="session")
def haproxy():
    if not haproxy_binary():
        missing_service("no haproxy on this machine (apt-get install haproxy)")


def test_rolling_replacement_under_load_fails_no_request(
    docker_client, render, build, server, shared_env, haproxy, tmp_path
):
    project = render(database="postgresql", server=server)
    image = build(project)
    migrated(docker_client, image, shared_env)
    # Longer than the balancer needs to see /readyz fail (one check, every 300 ms).
    env = {**shared_env, "DRAIN_SECONDS": "2"}
    old = [App(docker_client, image, env) for _ in range(2)]
    new = [App(docker_client, image, env) for _ in range(2)]
    balancer = HAProxy(tmp_path, [app.port for app in old + new])
    load = Load(balancer.url("/admin/login/"), PROXIED)
    try:
        for app in old:
            start_and_wait_until_ready(app)
        balancer.start().wait_for({**{a.port: "UP" for a in old}, **{a.port: "DOWN" for a in new}})
        load.start()
        time.sleep(1)
        for before, after in zip(old, new, strict=True):
            start_and_wait_until_ready(after)
            before.container.kill(signal="SIGTERM")
            # Soon not ready any more, but still serving after that while the balancer catches up.
            deadline = time.monotonic() + 1
            while requests.get(before.url("/readyz"), timeout=5).status_code != 503:
                assert time.monotonic() < deadline, "/readyz still answers 200 a second after SIGTERM"
            assert requests.get(before.url("/healthz"), timeout=5).status_code == 200
            assert before.wait_for_exit(timeout=grace_period(project)) == 0, before.logs()[-3000:]
        time.sleep(1)
        load.stop()
    finally:
        load.stop()
        balancer.close()
        for app in old + new:
            app.remove()
    print(f"\n{server}: {load.requests} requests during the rolling replacement, {load.failures} failed")
    assert load.failures == 0, f"statuses {dict(load.statuses)}, errors {dict(load.errors)}"
    assert load.statuses[200] >= 100, "the load ran through the whole replacement"


def test_slow_request_finishes_after_sigterm_and_the_container_exits_zero(
    docker_client, render, build, server, tmp_path
):
    project = with_test_views(render(database="postgresql", server=server), tmp_path)
    image = build(project)
    # The slow view touches no database, so none answers at DATABASE_URL: never "ready".
    env = production_env(DOMAIN="localhost", DATABASE_URL="postgres://nobody@127.0.0.1:9/none")
    app = App(docker_client, image, env)
    try:
        start_and_wait_until_ready(app, probe="/healthz")
        response = {}
        client = threading.Thread(
            target=lambda: response.update(r=requests.get(app.url("/slow/"), headers=PROXIED, timeout=30))
        )
        client.start()
        time.sleep(0.5)
        signalled = time.monotonic()
        app.container.kill(signal="SIGTERM")
        status = app.wait_for_exit(timeout=grace_period(project))
        stopped = time.monotonic() - signalled
        client.join(30)
        assert (response["r"].status_code, response["r"].text) == (200, "finished")
        assert status == 0, app.logs()[-3000:]
        assert stopped < grace_period(project)
    finally:
        app.remove()
