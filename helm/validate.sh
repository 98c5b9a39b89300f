#!/usr/bin/env bash
# Checks the echosciences chart without a cluster and without network access: Helm's own engine
# (helm-python-sdk: Helm 4's Go SDK behind a Python binding, no `helm` binary) lints and renders
# it with three value sets, kubernetes-validate checks every object against the Kubernetes
# schemas, then the chart's own rules. Lists every problem and exits 1, or prints one OK line.
# What it checks: helm/README.md.
#
#   helm/validate.sh
#   CHART_SKIP_SCHEMA=1 helm/validate.sh   # without the Kubernetes schemas (kubernetes-validate)
#   CHART_K8S_VERSIONS="1.25.0 1.33.0" helm/validate.sh   # default: 1.25.0 and the newest shipped
#   CHART_SHOW=1 helm/validate.sh    # also print the manifests (defaults; or everything-on, minimal)
#
# Needs python3 with PyYAML, helm-python-sdk and kubernetes-validate
# (pip install pyyaml helm-python-sdk kubernetes-validate: the schemas and Helm's engine come with
# the packages, nothing is downloaded at run time). When `kubectl` is on PATH it also runs
# `kubectl kustomize` over the rendered manifests (offline).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec python3 - "$here" "$@" <<'PY'
import os, re, shutil, subprocess, sys, tempfile, tomllib

try:
    import yaml
except ImportError:
    sys.exit("validate.sh: PyYAML is missing (pip install pyyaml)")
try:
    import helm_python as helm
except ImportError:
    sys.exit("validate.sh: helm-python-sdk is missing (pip install helm-python-sdk)")

HELM_DIR = sys.argv[1]
CHART = os.path.join(HELM_DIR, "echosciences")
REPO = os.path.dirname(HELM_DIR)
ERRORS = []


def fail(msg):
    ERRORS.append(msg)


# ---------------------------------------------------------------------------------------------
# What the application accepts: the keys of deploy/echosciences.toml.example (commented keys
# included), checked against the structs of crates/echos-core/src/config.rs.
# ---------------------------------------------------------------------------------------------

def app_settings():
    keys = set()
    ex = os.path.join(REPO, "deploy", "echosciences.toml.example")
    section = None
    for line in open(ex):
        m = re.match(r"^\[(\w+)\]\s*$", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r"^#?\s?(\w+) = ", line)
        if m and section:
            keys.add(f"{section}.{m.group(1)}")
    try:
        tomllib.load(open(ex, "rb"))
    except tomllib.TOMLDecodeError as e:
        fail(f"deploy/echosciences.toml.example is not valid TOML: {e}")
    cfg = os.path.join(REPO, "crates", "echos-core", "src", "config.rs")
    if os.path.exists(cfg):
        src = open(cfg).read()
        top = re.search(r"pub struct Config \{(.*?)\}", src, re.S).group(1)
        from_rs = set()
        for sect, ty in re.findall(r"pub (\w+): (\w+),", top):
            body = re.search(r"pub struct " + ty + r" \{(.*?)\n\}", src, re.S).group(1)
            for field in re.findall(r"^\s*pub (\w+):", body, re.M):
                from_rs.add(f"{sect}.{field}")
        for k in sorted(from_rs - keys):
            fail(f"deploy/echosciences.toml.example lacks the setting {k} (config.rs has it)")
        for k in sorted(keys - from_rs):
            fail(f"deploy/echosciences.toml.example has {k}, which config.rs does not know")
    return keys


def env_name_ok(name, keys):
    if name == "DATABASE_URL" or not name.startswith("ECHOS_"):
        return True
    if name == "ECHOS_CONFIG":
        return True
    parts = name[len("ECHOS_"):].lower().split("__")
    return len(parts) == 2 and ".".join(parts) in keys


# ---------------------------------------------------------------------------------------------
# The chart's sources.
# ---------------------------------------------------------------------------------------------

def check_chart_meta():
    meta = yaml.safe_load(open(os.path.join(CHART, "Chart.yaml")))
    if meta.get("apiVersion") != "v2":
        fail("Chart.yaml: apiVersion must be v2")
    if meta.get("name") != os.path.basename(CHART):
        fail("Chart.yaml: name must match the chart's folder")
    if not re.match(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$", str(meta.get("version", ""))):
        fail("Chart.yaml: version must be SemVer 2")
    if not meta.get("appVersion"):
        fail("Chart.yaml: appVersion is empty")
    for f in ("values.yaml", "templates/NOTES.txt", "templates/_helpers.tpl"):
        if not os.path.exists(os.path.join(CHART, f)):
            fail(f"{f} is missing")


VALUES_REF = re.compile(r"(?<![\w.$])\$?\.Values((?:\.\w+)+)")


def check_values_read(defaults):
    """Every `.Values.a.b` a template reads exists in values.yaml: Helm renders a missing one as
    nothing, silently (its lint does not notice either)."""
    tdir = os.path.join(CHART, "templates")
    for fn in sorted(os.listdir(tdir)):
        text = open(os.path.join(tdir, fn)).read()
        for action in re.findall(r"\{\{(.*?)\}\}", text, re.S):
            if action.strip("- \t\n").startswith("/*"):
                continue
            for m in VALUES_REF.finditer(action):
                path, cur = m.group(1)[1:].split("."), defaults
                for i, key in enumerate(path):
                    if not isinstance(cur, dict):
                        break
                    if key not in cur:
                        fail(f"templates/{fn} reads .Values.{'.'.join(path[:i + 1])}, which values.yaml does not define")
                        break
                    cur = cur[key]


# ---------------------------------------------------------------------------------------------
# Checks on the rendered manifests.
# ---------------------------------------------------------------------------------------------

DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def load_docs(text, where):
    docs = []
    try:
        for d in yaml.safe_load_all(text):
            if d is None:
                continue
            if not isinstance(d, dict):
                fail(f"{where}: a document is not a mapping")
                continue
            docs.append(d)
    except yaml.YAMLError as e:
        fail(f"{where}: not valid YAML: {e}")
    return docs


def check_objects(objs, values, keys, image, where):
    by_kind = {}
    seen = set()
    for o in objs:
        for f in ("apiVersion", "kind", "metadata"):
            if f not in o:
                fail(f"{where}: an object has no {f}")
        name = (o.get("metadata") or {}).get("name", "")
        ident = (o.get("kind"), name)
        if ident in seen:
            fail(f"{where}: {ident[0]} {name} appears twice")
        seen.add(ident)
        if not DNS1123.match(name or "") or len(name) > 63:
            fail(f"{where}: {o.get('kind')} name {name!r} is not a DNS label of at most 63 characters")
        by_kind.setdefault(o.get("kind"), []).append(o)

    deps = by_kind.get("Deployment", [])
    jobs = by_kind.get("Job", [])
    svcs = by_kind.get("Service", [])
    ings = by_kind.get("Ingress", [])
    if len(deps) != 1 or len(svcs) != 1:
        fail(f"{where}: expected one Deployment and one Service, got {len(deps)} and {len(svcs)}")
        return
    dep, svc = deps[0], svcs[0]
    pod = dep["spec"]["template"]
    labels = pod["metadata"].get("labels", {})
    sel = dep["spec"]["selector"]["matchLabels"]
    if any(labels.get(k) != v for k, v in sel.items()):
        fail(f"{where}: the Deployment's selector {sel} does not match its pod labels {labels}")

    def check_pod(spec, what):
        if spec.get("enableServiceLinks") is not False:
            fail(f"{where}: {what}: enableServiceLinks must be false (ECHOS_* service variables stop the start)")
        psc = spec.get("securityContext") or {}
        if psc.get("runAsNonRoot") is not True:
            fail(f"{where}: {what}: the pod must set runAsNonRoot: true")
        if psc.get("runAsUser") in (None, 0):
            fail(f"{where}: {what}: the pod must run as a non-zero runAsUser")
        for c in spec.get("containers", []):
            if c.get("image") != image:
                fail(f"{where}: {what}/{c['name']}: the image must be {image}, not {c.get('image')}")
            sc = c.get("securityContext") or {}
            if sc.get("readOnlyRootFilesystem") is not True:
                fail(f"{where}: {what}/{c['name']}: readOnlyRootFilesystem must be true")
            if sc.get("allowPrivilegeEscalation") is not False:
                fail(f"{where}: {what}/{c['name']}: allowPrivilegeEscalation must be false")
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                fail(f"{where}: {what}/{c['name']}: capabilities must drop ALL")
            env = c.get("env") or []
            names = [e["name"] for e in env]
            for n in names:
                if not env_name_ok(n, keys):
                    fail(f"{where}: {what}/{c['name']}: {n} is not a setting the application knows (it would refuse to start)")
            if len(set(names)) != len(names):
                fail(f"{where}: {what}/{c['name']}: an environment variable is set twice")
            db = [e for e in env if e["name"] == "DATABASE_URL"]
            if not db or "secretKeyRef" not in (db[0].get("valueFrom") or {}):
                fail(f"{where}: {what}/{c['name']}: DATABASE_URL must come from a Secret")
            if c.get("command"):
                fail(f"{where}: {what}/{c['name']}: use args; the image's entrypoint is echos")
        return spec.get("containers", [])

    pspec = pod["spec"]
    containers = check_pod(pspec, "Deployment")
    web = [c for c in containers if c["name"] == "web"]
    if not web:
        fail(f"{where}: the Deployment has no `web` container")
        return
    web = web[0]
    if web.get("args") != ["serve", "--bind", "0.0.0.0:8080"]:
        fail(f"{where}: the web container must run `serve --bind 0.0.0.0:8080`, not {web.get('args')}")
    ports = {p.get("name"): p["containerPort"] for p in web.get("ports", [])}
    if ports.get("http") != 8080:
        fail(f"{where}: the web container must expose 8080 as `http`")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        hg = (web.get(probe) or {}).get("httpGet") or {}
        if hg.get("path") != path or hg.get("port") not in ("http", 8080):
            fail(f"{where}: {probe} must GET {path} on the http port, not {hg}")
        if hg.get("httpHeaders"):
            fail(f"{where}: {probe}: no Host header is needed, the probes answer on any host")
    grace = pspec.get("terminationGracePeriodSeconds")
    stop = int(values["http"]["requestTimeoutSecs"]) + int(values["preStopSleepSeconds"])
    if not isinstance(grace, int) or grace < stop:
        fail(f"{where}: terminationGracePeriodSeconds ({grace}) must cover preStop + the request timeout ({stop})")

    pod_labels = labels
    ssel = svc["spec"].get("selector", {})
    if not ssel or any(pod_labels.get(k) != v for k, v in ssel.items()):
        fail(f"{where}: the Service's selector {ssel} does not select the web pods {pod_labels}")
    for sp in svc["spec"].get("ports", []):
        tp = sp.get("targetPort")
        if tp not in ports and tp not in ports.values():
            fail(f"{where}: the Service targets port {tp!r}, which the web container does not expose")
    svc_ports = {p.get("name") for p in svc["spec"].get("ports", [])} | {p.get("port") for p in svc["spec"].get("ports", [])}

    if values["migrate"]["enabled"]:
        if len(jobs) != 1:
            fail(f"{where}: expected the migrate Job")
        for job in jobs:
            ann = job["metadata"].get("annotations", {})
            hooks = set((ann.get("helm.sh/hook") or "").split(","))
            if not {"pre-install", "pre-upgrade"} <= hooks:
                fail(f"{where}: the migrate Job must be a pre-install,pre-upgrade hook, not {hooks}")
            jspec = job["spec"]["template"]["spec"]
            if jspec.get("restartPolicy") != "Never":
                fail(f"{where}: the migrate Job's pods must not restart in place (restartPolicy: Never)")
            for c in check_pod(jspec, "Job"):
                if c.get("args") != ["migrate"]:
                    fail(f"{where}: the migrate Job must run `migrate`, not {c.get('args')}")
                if [e["name"] for e in c.get("env", [])] != [e["name"] for e in web.get("env", [])]:
                    fail(f"{where}: the migrate Job and the web pods must share their settings")
            jl = job["spec"]["template"]["metadata"].get("labels", {})
            if all(jl.get(k) == v for k, v in ssel.items()):
                fail(f"{where}: the Service would also select the migrate Job's pods")
    elif jobs:
        fail(f"{where}: migrate.enabled is false but a Job was rendered")

    if values["ingress"]["enabled"]:
        if len(ings) != 1:
            fail(f"{where}: expected one Ingress")
        domain = values["platform"]["domain"]
        for ing in ings:
            rules = ing["spec"].get("rules", [])
            hosts = [r.get("host") for r in rules]
            want = [domain, f"*.{domain}"] + [h["host"] for h in values["ingress"].get("extraHosts", [])]
            if hosts != want:
                fail(f"{where}: the Ingress must route {want}, not {hosts}")
            for r in rules:
                for p in r["http"]["paths"]:
                    b = p["backend"]["service"]
                    if b["name"] != svc["metadata"]["name"]:
                        fail(f"{where}: the Ingress sends {r.get('host')} to {b['name']}, not to the Service")
                    port = b["port"].get("name", b["port"].get("number"))
                    if port not in svc_ports:
                        fail(f"{where}: the Ingress uses port {port!r}, which the Service does not have")
            if values["ingress"]["tls"]["enabled"]:
                tls_hosts = {h for t in ing["spec"].get("tls", []) for h in t.get("hosts", [])}
                for h in (domain, f"*.{domain}"):
                    if h not in tls_hosts:
                        fail(f"{where}: the Ingress TLS does not cover {h}")
    elif ings:
        fail(f"{where}: ingress.enabled is false but an Ingress was rendered")


def k8s_versions():
    if os.environ.get("CHART_K8S_VERSIONS"):
        return os.environ["CHART_K8S_VERSIONS"].split()
    try:
        import kubernetes_validate as kv
        return ["1.25.0", kv.latest_version()]
    except ImportError:
        return ["1.25.0"]


def schema_check(objs, where):
    if os.environ.get("CHART_SKIP_SCHEMA") == "1":
        return "skipped (CHART_SKIP_SCHEMA=1)"
    try:
        import kubernetes_validate as kv
    except ImportError:
        fail("kubernetes-validate is not installed (pip install kubernetes-validate), "
             "or run with CHART_SKIP_SCHEMA=1 to skip the schema checks")
        return "missing"
    versions = k8s_versions()
    for v in versions:
        for o in objs:
            try:
                kv.validate(o, v, strict=True)
            except kv.ValidationError as e:
                path = ".".join(str(p) for p in e.path)
                fail(f"{where}: Kubernetes {v} schema: {o.get('kind')} {o['metadata'].get('name')}: {path}: {e.message}")
            except (kv.SchemaNotFoundError, kv.InvalidSchemaError) as e:
                fail(f"{where}: Kubernetes {v} schema: {o.get('kind')} {o['metadata'].get('name')}: {getattr(e, 'message', '') or e}")
    return "Kubernetes " + ", ".join(versions) + " (strict)"


# The value sets the chart is rendered with: the defaults, and everything switched on or off.
SCENARIOS = {
    "defaults": {},
    "everything-on": {
        "replicaCount": 3,
        "image": {"tag": "1.2.3"},
        "imagePullSecrets": [{"name": "regcred"}],
        "http": {"trustedProxies": ["10.0.0.0/8", "fd00::/8"]},
        "telemetry": {"otlpEndpoint": "http://otel-collector.observability:4318"},
        "extraEnv": [{"name": "ECHOS_TENANCY__CACHE_TTL_SECS", "value": "120"},
                     {"name": "RUST_BACKTRACE", "value": "1"}],
        "extraVolumes": [{"name": "tenants", "configMap": {"name": "regions"}}],
        "extraVolumeMounts": [{"name": "tenants", "mountPath": "/app/tenants", "readOnly": True}],
        "podAnnotations": {"example.org/scrape": "false"},
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}],
        "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                                                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "echosciences"}}}}]}},
        "ingress": {"className": "nginx",
                    "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "10m"},
                    "extraHosts": [{"host": "echosciences-grenoble.fr", "tlsSecretName": "grenoble-fr-tls"},
                                   {"host": "sciences.example.org"}]},
        "fullnameOverride": "echosciences-prod",
    },
    "minimal": {
        "ingress": {"enabled": False},
        "migrate": {"enabled": False},
        "resources": {},
        "nameOverride": "echos-web",
    },
}

# Values the templates guard with `required`: emptied, the render must fail and name them.
REQUIRED = {
    "database.existingSecret": {"database": {"existingSecret": ""}},
    "platform.domain": {"platform": {"domain": ""}},
    "ingress.tls.secretName": {"ingress": {"tls": {"secretName": ""}}},
    "ingress.extraHosts[].host": {"ingress": {"extraHosts": [{"tlsSecretName": "x-tls"}]}},
}

TEMPLATES = os.path.basename(CHART) + "/templates/"


def release(scen):
    return "prod" if scen == "minimal" else "echos"


def lint(versions):
    """helm lint --strict (warnings are problems) for each value set and Kubernetes version."""
    found = {}
    for scen, over in SCENARIOS.items():
        for v in versions:
            try:
                report = helm.lint(CHART, over, strict=True, namespace="default", kube_version="v" + v.lstrip("v"))
            except helm.HelmError as e:
                fail(f"helm lint [{scen}] (Kubernetes {v}): {e}")
                continue
            msgs = [f"{m['path']}: {m['error']}" for m in report["messages"] if m["severity"] >= 2]
            msgs += [e for e in report["errors"] if not any(e in m for m in msgs)]
            for m in msgs:
                found.setdefault(m, []).append(f"{scen}/{v}")
    for m, where in found.items():
        fail(f"helm lint [{', '.join(where)}]: {m}")


def main():
    check_chart_meta()
    keys = app_settings()
    # env.example: every ECHOS_ name (set or commented out) must be a real setting.
    env_ex = os.path.join(REPO, "deploy", "env.example")
    if os.path.exists(env_ex):
        for line in open(env_ex):
            m = re.match(r"^#?([A-Z][A-Z0-9_]*)=", line)
            if m and not env_name_ok(m.group(1), keys):
                fail(f"deploy/env.example: {m.group(1)} is not a setting the application knows")

    try:
        chart = helm.Chart.load(CHART)
        defaults = chart.values
    except helm.HelmError as e:
        fail(f"Helm cannot load the chart: {e}")
        return report(None)
    check_values_read(defaults)
    lint(k8s_versions())
    app_version = str(chart.metadata.get("appVersion", ""))

    schema_note = ""
    show = os.environ.get("CHART_SHOW", "")
    rendered = 0
    for scen, over in SCENARIOS.items():
        try:
            values = chart.merge_values(over)
            out = chart.render(over, name=release(scen), namespace="default", is_install=True)
        except helm.HelmError as e:
            fail(f"[{scen}] helm render: {e}")
            continue
        rendered += 1
        objs = []
        for path in sorted(out):
            fn = path[len(TEMPLATES):] if path.startswith(TEMPLATES) else path
            where = f"[{scen}] templates/{fn}"
            if fn == "NOTES.txt":
                if not out[path].strip():
                    fail(f"{where}: renders empty")
                continue
            objs += load_docs(out[path], where)
        image = f"{values['image']['repository']}:{values['image']['tag'] or app_version}"
        check_objects(objs, values, keys, image, f"[{scen}]")
        schema_note = schema_check(objs, f"[{scen}]")
        if show == scen or (show == "1" and scen == "defaults"):
            for path in sorted(out):
                print(f"# ---- {path}\n{out[path]}")
        if shutil.which("kubectl") and objs:
            with tempfile.TemporaryDirectory() as tmp:
                with open(os.path.join(tmp, "all.yaml"), "w") as f:
                    yaml.safe_dump_all(objs, f)
                with open(os.path.join(tmp, "kustomization.yaml"), "w") as f:
                    f.write("resources:\n  - all.yaml\n")
                p = subprocess.run(["kubectl", "kustomize", tmp], capture_output=True, text=True)
                if p.returncode != 0:
                    fail(f"[{scen}] kubectl kustomize: {p.stderr.strip()}")

    for key, over in REQUIRED.items() if rendered == len(SCENARIOS) else ():
        try:
            chart.render(over, name="echos", namespace="default", is_install=True)
            fail(f"[required] with {key} empty the chart still renders")
        except helm.HelmRenderError as e:
            if key not in str(e):
                fail(f"[required] with {key} empty the render fails without naming it: {e}")
        except helm.HelmError as e:
            fail(f"[required] with {key} empty: {e}")
    return report(schema_note)


def report(schema_note):
    if ERRORS:
        errors = list(dict.fromkeys(ERRORS))
        for e in errors:
            print("FAIL", e)
        print(f"validate.sh: {len(errors)} problem(s)")
        sys.exit(1)
    print(f"validate.sh: chart OK — Helm {helm.helm_sdk_version()} engine (helm-python-sdk {helm.__version__}): "
          f"lint --strict and {len(SCENARIOS)} value sets rendered; schemas: {schema_note}; "
          f"kubectl kustomize: {'yes' if shutil.which('kubectl') else 'not installed'}")


main()
PY
