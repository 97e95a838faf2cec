#!/usr/bin/python3
"""Checks of the deployment kit against the real binary (issue #14): YAML lint and structure,
environment variable names, Compose interpolation, Kubernetes settings, Prometheus rules and the
metric names of the dashboard and rules against a live /metrics scrape.

  kit_test.py --binary build/release/src/portcullis [unittest args, e.g. ComposeTest]

Needs the local stack's environment (scripts/stack.sh start; . .local/stack.env) for the metrics
scrape, yamllint, docker-compose and promtool (scripts/install-deps.sh)."""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "docs" / "ops"
K8S = OPS / "kubernetes"
OBS = OPS / "observability"
COMPOSE_FILES = [ROOT / "docker-compose.yml", ROOT / "compose.prod.yml"]
ENV_EXAMPLES = [ROOT / ".env.example", ROOT / ".env.test.example", ROOT / ".env.production.example"]
# Variables that only the tooling reads (contract 2.2): Compose and the Postgres/Redis containers.
TOOLING_VARIABLES = {"COMPOSE_ENV_FILE", "POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB",
                     "REDIS_PASSWORD"}
# The contract's file list (16.3) plus nothing else.
K8S_FILES = {"configmap.yaml", "secret.yaml", "deployment.yaml", "service.yaml", "ingress.yaml",
             "hpa.yaml", "poddisruptionbudget.yaml", "networkpolicy-metrics.yaml",
             "serviceaccount.yaml"}
VALID_SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef"

BINARY = None  # set by main()


def run(args, env=None, cwd=None, timeout=60):
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def base_env():
    """A clean environment: nothing of the caller's leaks into a configuration check."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def check_config(variables, dotenv=None):
    """Runs `portcullis check-config` with exactly these variables, in an empty directory (plus an
    optional .env file); returns the CompletedProcess."""
    with tempfile.TemporaryDirectory() as cwd:
        if dotenv is not None:
            shutil.copy(dotenv, Path(cwd) / ".env")
        env = base_env()
        env.update(variables)
        return run([BINARY, "check-config"], env=env, cwd=cwd)


def config_errors(result):
    """The `errors` map of the fatal `Invalid configuration` line."""
    for line in result.stdout.splitlines() + result.stderr.splitlines():
        if '"Invalid configuration"' in line:
            return json.loads(line)["errors"]
    raise AssertionError(f"no 'Invalid configuration' line:\n{result.stdout}\n{result.stderr}")


def binary_variables():
    result = run([BINARY, "check-config", "--list-variables"])
    assert result.returncode == 0, result.stderr
    names = result.stdout.split()
    assert names == sorted(names) and len(names) > 40, names
    return set(names)


def load_yaml_documents(path):
    with open(path) as f:
        return [doc for doc in yaml.safe_load_all(f) if doc is not None]


def k8s_objects():
    objects = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in load_yaml_documents(path):
            objects.append((path.name, doc))
    return objects


def k8s_object(kind, name=None):
    found = [doc for _, doc in k8s_objects()
             if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def env_example_names(path):
    """Names of `NAME=` lines, set or commented out (`# NAME=default`)."""
    names = set()
    for line in path.read_text().splitlines():
        m = re.match(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=", line)
        if m:
            names.add(m.group(1))
    return names


def parse_env_file(path):
    """Only the lines that are set (compose's env_file rules: NAME=value, no quotes here)."""
    values = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line)
        if m:
            values[m.group(1)] = m.group(2)
    return values


def compose(args, env_file=None, extra_env=None):
    env = base_env()
    env.update(extra_env or {})
    cmd = ["docker-compose", "--project-directory", str(ROOT)]
    if env_file is not None:
        cmd += ["--env-file", str(env_file)]
    return run(cmd + args, env=env, cwd=ROOT)


def filled_production_env(directory, drop=()):
    """`.env.production.example` with its too-short secrets replaced, minus the `drop` names."""
    values = parse_env_file(ROOT / ".env.production.example")
    values["JWT_ACCESS_SECRET"] = VALID_SECRET + "a"
    values["JWT_REFRESH_SECRET"] = VALID_SECRET + "r"
    path = Path(directory) / ".env.production"
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items() if k not in drop))
    return path


# --- PromQL ---------------------------------------------------------------------------------------
PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
                   "or", "unless", "offset", "inf", "nan"}


def promql_selectors(expr):
    """(metric, {label: value}) for each vector selector of a PromQL expression. Small on purpose:
    enough for the expressions of this kit (no subqueries or @ modifiers)."""
    expr = re.sub(r"\[[^\]]*\]", " ", expr)  # range selectors [5m]
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", r" ", expr)
    selectors = []
    pattern = re.compile(r"(\d+(?:\.\d+)?(?:e[+-]?\d+)?)|([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?\s*(\()?")
    for m in pattern.finditer(expr):
        number, name, labels, call = m.groups()
        if number or name is None or call or name in PROMQL_KEYWORDS:
            continue
        matchers = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*=~?\s*"([^"]*)"', labels or ""))
        selectors.append((name, matchers))
    return selectors


def dashboard_exprs():
    dashboard = json.loads((OBS / "grafana-dashboard.json").read_text())
    exprs = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            exprs.append(target["expr"])
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        if isinstance(query, dict):
            query = query.get("query")
        m = re.match(r"label_values\((\w+)", query or "")
        if m:
            exprs.append(m.group(1))
    return exprs


def rule_exprs():
    exprs = []
    for group in yaml.safe_load((OBS / "prometheus-rules.yaml").read_text())["groups"]:
        exprs += [rule["expr"] for rule in group["rules"]]
    return exprs


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- Tests ----------------------------------------------------------------------------------------
class YamlTest(unittest.TestCase):
    def test_yamllint_is_clean(self):
        files = sorted(str(p) for p in OPS.rglob("*.yaml")) + [str(p) for p in COMPOSE_FILES]
        self.assertGreater(len(files), 12)
        result = run(["yamllint", "--strict", "-c", str(ROOT / "tests/deploy/yamllint.yaml")] + files)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_every_yaml_and_json_file_parses(self):
        for path in sorted(OPS.rglob("*.yaml")) + COMPOSE_FILES:
            with self.subTest(path=path.name):
                self.assertTrue(load_yaml_documents(path))
        json.loads((OBS / "grafana-dashboard.json").read_text())

    def test_kubernetes_files_are_the_contract_list_in_the_placeholder_namespace(self):
        self.assertEqual({p.name for p in K8S.glob("*.yaml")}, K8S_FILES)
        for name, doc in k8s_objects():
            with self.subTest(file=name, kind=doc.get("kind")):
                self.assertIn("apiVersion", doc)
                self.assertEqual(doc["metadata"]["namespace"], "replace-me")
                self.assertTrue(doc["metadata"]["name"])


class VariablesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.known = binary_variables()

    def assert_known(self, names, where):
        unknown = sorted(set(names) - self.known - TOOLING_VARIABLES)
        self.assertEqual(unknown, [], f"{where} names variables the binary does not read")

    def test_list_is_generated_from_the_binary(self):
        # A few the contract requires, and one the binary certainly ignores.
        for name in ("DATABASE_URL", "JWT_ACCESS_SECRET", "SHUTDOWN_DELAY_MS", "APP_ENV", "NODE_ENV"):
            self.assertIn(name, self.known)
        self.assertNotIn("POSTGRES_PASSWORD", self.known)

    def test_env_examples_name_every_variable_and_only_those(self):
        for path in ENV_EXAMPLES:
            with self.subTest(file=path.name):
                names = env_example_names(path)
                self.assert_known(names, path.name)
                self.assertEqual(sorted(self.known - names), [], f"{path.name} misses variables")

    def test_compose_files_name_only_variables_the_binary_or_tooling_reads(self):
        for path in COMPOSE_FILES:
            with self.subTest(file=path.name):
                text = path.read_text()
                names = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
                for service in yaml.safe_load(text)["services"].values():
                    names |= set((service.get("environment") or {}).keys())
                self.assertIn("DATABASE_URL", names)
                self.assert_known(names, path.name)

    def test_kubernetes_manifests_name_only_variables_the_binary_reads(self):
        names = set(k8s_object("ConfigMap")["data"]) | set(k8s_object("Secret")["stringData"])
        spec = k8s_object("Deployment")["spec"]["template"]["spec"]
        for container in spec["containers"] + spec.get("initContainers", []):
            names |= {e["name"] for e in container.get("env", [])}
        unknown = sorted(names - self.known)
        self.assertEqual(unknown, [], "Kubernetes manifests name variables the binary does not read")


class ConfigTest(unittest.TestCase):
    """The shipped settings start the service: `portcullis check-config` accepts them."""

    def test_configmap_and_secret_placeholders_pass(self):
        variables = dict(k8s_object("ConfigMap")["data"])
        variables.update(k8s_object("Secret")["stringData"])
        result = check_config(variables)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(result.stdout.strip(), "configuration ok")

    def test_configmap_with_a_second_metrics_guard_fails(self):
        # The reference's defect (secret guard + allowlist) is refused: the check above is real.
        variables = dict(k8s_object("ConfigMap")["data"])
        variables.update(k8s_object("Secret")["stringData"])
        variables["METRICS_GUARD_SECRET"] = "a-secret-value"
        result = check_config(variables)
        self.assertEqual(result.returncode, 1)
        self.assertIn("METRICS_GUARD_SECRET", config_errors(result))

    def test_development_and_test_examples_pass_as_dotenv(self):
        for path in (ROOT / ".env.example", ROOT / ".env.test.example"):
            with self.subTest(file=path.name):
                result = check_config({}, dotenv=path)
                self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
                self.assertEqual(result.stdout.strip(), "configuration ok")

    def compose_app_environment(self, env_file):
        result = compose(["-f", "compose.prod.yml", "config"], env_file=env_file,
                         extra_env={"COMPOSE_ENV_FILE": str(env_file)})
        self.assertEqual(result.returncode, 0, result.stderr)
        environment = yaml.safe_load(result.stdout)["services"]["app"]["environment"]
        return {k: "" if v is None else str(v) for k, v in environment.items()}

    def test_production_example_refuses_its_placeholder_secrets(self):
        with tempfile.TemporaryDirectory() as d:
            env_file = Path(d) / ".env.production"
            shutil.copy(ROOT / ".env.production.example", env_file)
            result = check_config(self.compose_app_environment(env_file))
            self.assertEqual(result.returncode, 1, result.stdout)
            self.assertEqual(sorted(config_errors(result)), ["JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET"])

    def test_production_compose_environment_passes_once_secrets_are_set(self):
        with tempfile.TemporaryDirectory() as d:
            environment = self.compose_app_environment(filled_production_env(d))
            self.assertEqual(environment["NODE_ENV"], "production")
            self.assertTrue(environment["DATABASE_URL"].startswith("postgresql://portcullis:"))
            self.assertTrue(environment["RATE_LIMIT_REDIS_URL"].startswith("redis://:"))
            result = check_config(environment)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


class ComposeTest(unittest.TestCase):
    def test_development_file_is_accepted_without_any_setting(self):
        result = compose(["-f", "docker-compose.yml", "config", "-q"])
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_api_only_in_the_dev_app_profile(self):
        # docker-compose 1.29's `config` prints every service; `up` starts a service that has
        # `profiles` only when one of them is enabled. So: db and redis have none, app has dev-app.
        result = compose(["-f", "docker-compose.yml", "config"])
        self.assertEqual(result.returncode, 0, result.stderr)
        services = yaml.safe_load(result.stdout)["services"]
        self.assertEqual(sorted(services), ["app", "db", "redis"])
        self.assertNotIn("profiles", services["db"])
        self.assertNotIn("profiles", services["redis"])
        self.assertEqual(services["app"]["profiles"], ["dev-app"])
        self.assertEqual(compose(["-f", "docker-compose.yml", "config", "--profiles"]).stdout.split(),
                         ["dev-app"])
        self.assertEqual(services["app"]["environment"]["NODE_ENV"], "development")

    def test_production_file_is_accepted_with_a_filled_env_file(self):
        with tempfile.TemporaryDirectory() as d:
            env_file = filled_production_env(d)
            result = compose(["-f", "compose.prod.yml", "config"], env_file=env_file,
                             extra_env={"COMPOSE_ENV_FILE": str(env_file)})
            self.assertEqual(result.returncode, 0, result.stderr)
            config = yaml.safe_load(result.stdout)
            app = config["services"]["app"]
            self.assertEqual(app["healthcheck"]["test"][:2], ["CMD", "portcullis"])
            redis = config["services"]["redis"]
            self.assertIn("--appendonly yes", " ".join(redis["command"]))
            self.assertIn("--requirepass", " ".join(redis["command"]))
            self.assertIn("redis_data:/data", " ".join(str(v) for v in redis["volumes"])
                          if isinstance(redis["volumes"][0], str)
                          else " ".join(f"{v['source']}:{v['target']}" for v in redis["volumes"]))

    def test_missing_required_values_fail_with_their_message(self):
        for name in ("REDIS_PASSWORD", "JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET", "POSTGRES_PASSWORD",
                     "CORS_ORIGINS"):
            with self.subTest(missing=name), tempfile.TemporaryDirectory() as d:
                env_file = filled_production_env(d, drop=(name,))
                result = compose(["-f", "compose.prod.yml", "config", "-q"], env_file=env_file,
                                 extra_env={"COMPOSE_ENV_FILE": str(env_file)})
                self.assertNotEqual(result.returncode, 0)
                self.assertIn(f"Set {name}", result.stderr)

    def test_stop_grace_period_outlasts_the_drain(self):
        for path in COMPOSE_FILES:
            with self.subTest(file=path.name):
                app = yaml.safe_load(path.read_text())["services"]["app"]
                grace = int(app["stop_grace_period"].rstrip("s"))
                env = app["environment"]
                delay = int(env.get("SHUTDOWN_DELAY_MS", 0))
                timeout = int(env.get("SHUTDOWN_TIMEOUT_MS", 10000))
                self.assertGreater(grace * 1000, delay + timeout)


class KubernetesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.deployment = k8s_object("Deployment")
        cls.pod = cls.deployment["spec"]["template"]["spec"]
        cls.api = next(c for c in cls.pod["containers"] if c["name"] == "api")
        cls.config = k8s_object("ConfigMap")["data"]

    def test_no_rbac_and_no_token(self):
        kinds = {doc["kind"] for _, doc in k8s_objects()}
        self.assertFalse(kinds & {"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"})
        self.assertIs(k8s_object("ServiceAccount")["automountServiceAccountToken"], False)
        self.assertEqual(self.pod["serviceAccountName"], "starter-api")

    def test_probes(self):
        self.assertEqual(self.api["startupProbe"]["httpGet"]["path"], "/health")
        self.assertEqual(self.api["readinessProbe"]["httpGet"]["path"], "/ready")
        self.assertEqual(self.api["livenessProbe"]["httpGet"]["path"], "/health")

    def test_drain_without_prestop_fits_the_grace_period(self):
        self.assertNotIn("lifecycle", self.api)
        delay = int(self.config["SHUTDOWN_DELAY_MS"])
        timeout = int(self.config["SHUTDOWN_TIMEOUT_MS"])
        self.assertEqual(delay, 5000)
        self.assertGreater(self.pod["terminationGracePeriodSeconds"] * 1000, delay + timeout)

    def test_security_context(self):
        pod_sc = self.pod["securityContext"]
        self.assertIs(pod_sc["runAsNonRoot"], True)
        self.assertEqual(pod_sc["runAsUser"], 10001)
        self.assertEqual(pod_sc["seccompProfile"]["type"], "RuntimeDefault")
        for container in self.pod["containers"] + self.pod["initContainers"]:
            with self.subTest(container=container["name"]):
                sc = container["securityContext"]
                self.assertIs(sc["readOnlyRootFilesystem"], True)
                self.assertIs(sc["allowPrivilegeEscalation"], False)
                self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
                self.assertIn("limits", container["resources"])
                self.assertIn("requests", container["resources"])

    def test_migration_runs_with_only_the_database_url(self):
        init = self.pod["initContainers"]
        self.assertEqual(len(init), 1)
        self.assertEqual(init[0]["args"], ["migrate", "deploy"])
        self.assertNotIn("envFrom", init[0])
        self.assertEqual([e["name"] for e in init[0]["env"]], ["DATABASE_URL"])
        self.assertEqual(self.api["args"], ["serve"])

    def test_selectors_and_ports_line_up(self):
        labels = self.deployment["spec"]["template"]["metadata"]["labels"]
        for kind in ("Service", "PodDisruptionBudget"):
            spec = k8s_object(kind)["spec"]
            selector = spec["selector"].get("matchLabels", spec["selector"])
            self.assertTrue(selector.items() <= labels.items(), kind)
        policy = k8s_object("NetworkPolicy")["spec"]
        self.assertTrue(policy["podSelector"]["matchLabels"].items() <= labels.items())
        self.assertEqual(policy["ingress"][0]["ports"][0]["port"], 3000)
        self.assertEqual(k8s_object("HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]["name"],
                         self.deployment["metadata"]["name"])
        port_name = k8s_object("Service")["spec"]["ports"][0]["targetPort"]
        self.assertIn(port_name, [p["name"] for p in self.api["ports"]])
        metrics_ingress = k8s_object("Ingress", "starter-api-metrics")
        self.assertIn("nginx.ingress.kubernetes.io/allowlist-source-range",
                      metrics_ingress["metadata"]["annotations"])


class PrometheusTest(unittest.TestCase):
    def test_rules_check_and_unit_tests(self):
        result = run(["promtool", "check", "rules", str(OBS / "prometheus-rules.yaml")])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        result = run(["promtool", "test", "rules", "prometheus-rules.test.yaml"], cwd=OBS)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("SUCCESS", result.stdout)

    def test_scrape_config_checks(self):
        # Debian's Prometheus is built without Kubernetes discovery, so promtool refuses
        # kubernetes_sd_configs: check everything else with a static target in its place.
        config = yaml.safe_load((OBS / "prometheus-scrape.yaml").read_text())
        for job in config["scrape_configs"]:
            self.assertEqual(job["kubernetes_sd_configs"][0]["namespaces"]["names"], ["replace-me"])
            del job["kubernetes_sd_configs"]
            job["static_configs"] = [{"targets": ["127.0.0.1:3000"]}]
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            yaml.safe_dump(config, f)
            f.flush()
            result = run(["promtool", "check", "config", f.name])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_promql_selector_extraction(self):
        self.assertEqual(
            promql_selectors('sum by (le) (rate(a_bucket{job=~"$job",x="1"}[5m])) / clamp_min(b, 1e-9)'),
            [("a_bucket", {"job": "$job", "x": "1"}), ("b", {})])


class MetricsScrapeTest(unittest.TestCase):
    """Every metric (and label) named by the dashboard and the alert rules exists in a real scrape
    of the binary."""

    @classmethod
    def setUpClass(cls):
        database_url = os.environ.get("PORTCULLIS_TEST_DATABASE_URL")
        redis_url = os.environ.get("PORTCULLIS_TEST_REDIS_URL")
        if not database_url or not redis_url or not os.environ.get("PORTCULLIS_TEST_PG_ADMIN_URL"):
            raise AssertionError("PORTCULLIS_TEST_DATABASE_URL, _PG_ADMIN_URL and _REDIS_URL must be "
                                 "set (scripts/stack.sh start; . .local/stack.env)")
        admin_url = os.environ.get("PORTCULLIS_TEST_PG_ADMIN_URL")
        # A database of its own: the other suites share the stack's.
        cls.database = f"portcullis_kit_{os.getpid()}"
        subprocess.run(["psql", admin_url, "-qAtc", f"CREATE DATABASE {cls.database}"], check=True)
        database_url = database_url.rsplit("/", 1)[0] + "/" + cls.database
        port = free_port()
        env = base_env()
        # Redis database 9 and high limits: other suites share this Redis and the 127.0.0.1 client.
        env.update({"NODE_ENV": "development", "PORT": str(port), "DATABASE_URL": database_url,
                    "RATE_LIMIT_REDIS_URL": redis_url.rsplit("/", 1)[0] + "/9",
                    "RATE_LIMIT_RPM": "100000", "RATE_LIMIT_RPM_AUTH": "100000",
                    "JWT_ACCESS_SECRET": VALID_SECRET + "a", "JWT_REFRESH_SECRET": VALID_SECRET + "r",
                    "LOG_LEVEL": "warn"})
        cls.workdir = tempfile.TemporaryDirectory()
        log_path = Path(cls.workdir.name) / "server.log"
        cls.log = open(log_path, "w+")
        cls.server = subprocess.Popen([BINARY, "serve", "--migrate"], env=env, cwd=cls.workdir.name,
                                      stdout=cls.log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(base + "/ready", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline or cls.server.poll() is not None:
                    raise AssertionError("the server did not become ready:\n" + log_path.read_text()[-3000:])
                time.sleep(0.1)
            # A failed login and a 404, so the HTTP and login families carry samples too.
            request = urllib.request.Request(
                base + "/auth/login", method="POST", headers={"Content-Type": "application/json"},
                data=json.dumps({"email": f"nobody-{os.getpid()}@example.com",
                                 "password": "Wrong-password-1"}).encode())
            try:
                urllib.request.urlopen(request, timeout=10)
            except urllib.error.HTTPError as e:
                assert e.code == 401, e.code
            try:
                urllib.request.urlopen(base + "/no-such-route", timeout=5)
            except urllib.error.HTTPError:
                pass
            with urllib.request.urlopen(base + "/metrics", timeout=5) as r:
                cls.scrape = r.read().decode()
        finally:
            cls.server.terminate()
            cls.server.wait(timeout=30)
            cls.log.close()
            cls.workdir.cleanup()
            subprocess.run(["psql", admin_url, "-qAtc",
                            f"DROP DATABASE IF EXISTS {cls.database} WITH (FORCE)"], check=True)
        cls.families = dict(re.findall(r"^# TYPE (\S+) (\S+)$", cls.scrape, re.M))
        cls.samples = {}
        for line in cls.scrape.splitlines():
            m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s", line)
            if m:
                labels = set(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', m.group(2) or ""))
                cls.samples.setdefault(m.group(1), set()).update(labels)

    def family_of(self, name):
        if name in self.families:
            return name
        for suffix in ("_bucket", "_sum", "_count"):
            base = name[: -len(suffix)]
            if name.endswith(suffix) and self.families.get(base) in ("histogram", "summary"):
                return base
        return None

    def check(self, exprs, where):
        self.assertTrue(exprs)
        for expr in exprs:
            for name, matchers in promql_selectors(expr):
                with self.subTest(where=where, metric=name):
                    self.assertIsNotNone(self.family_of(name), f"{name} is not exported ({expr})")
                    # Labels set by Prometheus itself are not in the scrape.
                    own = set(matchers) - {"job", "pod", "namespace", "instance"}
                    if own:
                        self.assertTrue(own <= self.samples.get(name, set()),
                                        f"{name} has no samples with labels {sorted(own)}")

    def test_scrape_has_the_portcullis_families(self):
        for name in ("http_requests_total", "portcullis_logins_total", "portcullis_redis_up",
                     "portcullis_outbox_depth", "process_resident_memory_bytes"):
            self.assertIn(name, self.families)

    def test_dashboard_metrics_exist(self):
        self.check(dashboard_exprs(), "grafana-dashboard.json")

    def test_no_nodejs_panels(self):
        self.assertFalse([e for e in dashboard_exprs() if "nodejs_" in e])

    def test_rule_metrics_exist(self):
        self.check(rule_exprs(), "prometheus-rules.yaml")

    def test_promtool_accepts_the_scrape(self):
        result = subprocess.run(["promtool", "check", "metrics"], input=self.scrape,
                                capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


def main():
    global BINARY
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--binary", required=True)
    args, rest = parser.parse_known_args()
    BINARY = str(Path(args.binary).resolve())
    unittest.main(argv=[sys.argv[0], "-v"] + rest)


if __name__ == "__main__":
    main()
