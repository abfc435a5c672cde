"""Running a built project image on the host network, bound to 127.0.0.1, and talking to it."""

from __future__ import annotations

import time
import uuid

import requests

from services import free_port


class ContainerExited(AssertionError):
    pass


def run_once(client, image: str, command: list[str], env: dict[str, str], volumes=None, timeout=120):
    """docker run --rm: (exit code, output) of a one-off command such as `manage.py migrate`."""
    container = client.containers.run(
        image, command, environment=env, network_mode="host", volumes=volumes or {}, detach=True
    )
    try:
        status = container.wait(timeout=timeout)["StatusCode"]
        return status, container.logs().decode(errors="replace")
    finally:
        container.remove(force=True)


class App:
    """The image's own CMD (its gateway server), started detached on a free loopback port."""

    def __init__(self, client, image: str, env: dict[str, str], volumes=None):
        self.client = client
        self.image = image
        self.port = free_port()
        self.env = {**env, "PORT": str(self.port), "LISTEN_ADDRESS": "127.0.0.1"}
        self.volumes = volumes or {}
        self.container = None

    def start(self, wait=True) -> App:
        self.container = self.client.containers.run(
            self.image,
            environment=self.env,
            network_mode="host",
            volumes=self.volumes,
            name=f"django-template-test-{uuid.uuid4().hex[:8]}",
            detach=True,
        )
        if wait:
            self.wait_until_serving()
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def logs(self) -> str:
        return self.container.logs().decode(errors="replace")

    def status(self) -> str:
        self.container.reload()
        return self.container.status

    def wait_until_serving(self, timeout=60.0) -> float:
        """Seconds until /healthz first answers 200; fails early if the container exits."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.status() == "exited":
                raise ContainerExited(f"the container exited before serving:\n{self.logs()[-3000:]}")
            try:
                if requests.get(self.url("/healthz"), timeout=1).status_code == 200:
                    return time.monotonic() - started
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"/healthz did not answer within {timeout}s:\n{self.logs()[-3000:]}")

    def wait_for_exit(self, timeout=60) -> int:
        return self.container.wait(timeout=timeout)["StatusCode"]

    def exec(self, *command: str) -> str:
        exit_code, output = self.container.exec_run(list(command))
        assert exit_code == 0, output
        return output.decode()

    def remove(self):
        if self.container is not None:
            self.container.remove(force=True)
            self.container = None


class ProxiedClient(requests.Session):
    """A browser behind the platform's TLS-terminating proxy: every request says it came over
    https, so Django sets (and expects back) Secure cookies, which requests itself would only
    send over https."""

    def __init__(self, app: App):
        super().__init__()
        self.app = app
        self.headers["X-Forwarded-Proto"] = "https"

    def request(self, method, path, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 10)
        cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)
        headers = {**kwargs.pop("headers", {}), **({"Cookie": cookies} if cookies else {})}
        return super().request(method, self.app.url(path), headers=headers, **kwargs)
