#!/usr/bin/env bash
# Checks the echosciences chart without a cluster and without network access: Helm's own engine
# (helm-python-sdk: Helm 4's Go SDK behind a Python binding, no `helm` binary) lints and renders
# it with four value sets (and checks what values.schema.json and the templates refuse),
# kubernetes-validate checks every object against the Kubernetes schemas, then the chart's own
# rules. Lists every problem and exits 1, or prints one OK line.
# What it checks: helm/README.md.
#
#   helm/validate.sh
#   CHART_SKIP_SCHEMA=1 helm/validate.sh   # without the Kubernetes schemas (kubernetes-validate)
#   CHART_K8S_VERSIONS="1.25.0 1.33.0" helm/validate.sh   # default: 1.25.0 and the newest shipped
#   CHART_SHOW=1 helm/validate.sh    # also print the manifests (defaults; or everything-on,
#                                    # minimal, existing-secrets)
#
# Needs python3 with PyYAML, helm-python-sdk and kubernetes-validate
# (pip install pyyaml helm-python-sdk kubernetes-validate: the schemas and Helm's engine come with
# the packages, nothing is downloaded at run time). When `kubectl` is on PATH it also runs
# `kubectl kustomize` over the rendered manifests (offline).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec python3 - "$here" "$@" <<'PY'
import json, os, re, shutil, subprocess, sys, tempfile, tomllib

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
    # A region cluster's URL: ECHOS_DATABASE__CLUSTERS__<NAME>__URL.
    if len(parts) == 4 and parts[:2] == ["database", "clusters"] and parts[3] == "url":
        return "database.clusters" in keys
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
    for f in ("values.yaml", "values.schema.json", "templates/NOTES.txt", "templates/_helpers.tpl"):
        if not os.path.exists(os.path.join(CHART, f)):
            fail(f"{f} is missing")


# `.Values.a.b`, `$.Values.a.b`, `$root.Values.a.b` (a helper's dict "root" $), and variables
# that hold a part of the values (`$v := $root.Values`, `$s3 := $v.media.s3`): `$v.a.b`.
VALUES_REF = re.compile(r"(?:(?<![\w.$])\$?|\$root)\.Values((?:\.\w+)*)")
VAR_SET = re.compile(r"\$(\w+)\s*:?=\s*((?:(?<![\w.$])\$?|\$root)\.Values(?:\.\w+)*|\$\w+(?:\.\w+)*)")
VAR_REF = re.compile(r"(?<![\w.])\$(\w+)((?:\.\w+)+)")


def check_values_read(defaults):
    """Every `.Values.a.b` a template reads exists in values.yaml: Helm renders a missing one as
    nothing, silently (its lint does not notice either)."""
    tdir = os.path.join(CHART, "templates")

    def check(fn, path):
        cur = defaults
        for i, key in enumerate(path):
            if not isinstance(cur, dict):
                break
            if key not in cur:
                fail(f"templates/{fn} reads .Values.{'.'.join(path[:i + 1])}, which values.yaml does not define")
                break
            cur = cur[key]

    def values_path(expr, aliases):
        m = VALUES_REF.fullmatch(expr)
        if m:
            return [p for p in m.group(1).split(".") if p]
        m = re.fullmatch(r"\$(\w+)((?:\.\w+)*)", expr)
        if m and m.group(1) in aliases:
            return aliases[m.group(1)] + [p for p in m.group(2).split(".") if p]
        return None

    for fn in sorted(os.listdir(tdir)):
        text = open(os.path.join(tdir, fn)).read()
        aliases = {}
        for action in re.findall(r"\{\{(.*?)\}\}", text, re.S):
            if action.strip("- \t\n").startswith("/*"):
                continue
            for m in VAR_SET.finditer(action):
                path = values_path(m.group(2), aliases)
                if path is not None:
                    aliases[m.group(1)] = path
                else:
                    aliases.pop(m.group(1), None)
            for m in VALUES_REF.finditer(action):
                check(fn, [p for p in m.group(1).split(".") if p])
            for m in VAR_REF.finditer(action):
                if m.group(1) in aliases:
                    check(fn, aliases[m.group(1)] + m.group(2)[1:].split("."))


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


def is_hook(o):
    return "helm.sh/hook" in (o["metadata"].get("annotations") or {})


def hooks_of(o):
    return set(((o["metadata"].get("annotations") or {}).get("helm.sh/hook") or "").split(",")) - {""}


def hook_weight(o):
    return int((o["metadata"].get("annotations") or {}).get("helm.sh/hook-weight", "0"))


def selects(match_labels, labels):
    """A Service-style selector (equality only) selects these labels; an empty one selects nothing here."""
    return bool(match_labels) and all(labels.get(k) == v for k, v in match_labels.items())


def label_selector_selects(sel, labels):
    """A LabelSelector (matchLabels and matchExpressions) selects these labels."""
    if not sel:
        return False
    if any(labels.get(k) != v for k, v in (sel.get("matchLabels") or {}).items()):
        return False
    for e in sel.get("matchExpressions") or []:
        k, op, vals = e["key"], e["operator"], e.get("values") or []
        if (op == "In" and labels.get(k) not in vals) or (op == "NotIn" and labels.get(k) in vals) \
                or (op == "Exists" and k not in labels) or (op == "DoesNotExist" and k in labels):
            return False
    return True


# Settings that carry credentials: only ever from a Secret.
SECRET_VARS = {"DATABASE_URL", "ECHOS_MAIL__SMTP_URL", "ECHOS_MEDIA__S3_ACCESS_KEY_ID",
               "ECHOS_MEDIA__S3_SECRET_ACCESS_KEY", "ECHOS_BILLING__STRIPE_SECRET_KEY",
               "ECHOS_BILLING__STRIPE_WEBHOOK_SECRET", "ECHOS_TELEMETRY__OTLP_HEADERS"}
# The only difference allowed between the worker's settings and the web pods'.
WORKER_ONLY_DIFF = {"ECHOS_ACCOUNTS__WORKER_IN_SERVE"}
# The web pods' stop budget beyond the application's own delay and grace (_helpers.tpl).
STOP_MARGIN, IN_SERVE_WORKER_STOP = 10, 30


def existing_secrets(values):
    """The Secret names the values say exist already (not rendered by the chart)."""
    v = values
    names = {v["database"]["existingSecret"], v["telemetry"]["existingSecret"],
             v["mail"]["smtp"]["existingSecret"], v["media"]["s3"]["existingSecret"],
             v["billing"]["stripe"]["existingSecret"]}
    names |= {c["existingSecret"] for c in v["database"].get("clusters") or []}
    names.discard("")
    return names


def env_map(c):
    return {e["name"]: e for e in c.get("env") or []}


def check_objects(objs, values, keys, image, where, namespace):
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

    def component(o):
        return (o["metadata"].get("labels") or {}).get("app.kubernetes.io/component")

    deps = by_kind.get("Deployment", [])
    jobs = by_kind.get("Job", [])
    svcs = by_kind.get("Service", [])
    ings = by_kind.get("Ingress", [])
    webs = [d for d in deps if component(d) == "web"]
    workers = [d for d in deps if component(d) == "worker"]
    web_svcs = [s for s in svcs if component(s) == "web"]
    metric_svcs = [s for s in svcs if component(s) == "metrics"]
    want_workers = 1 if values["worker"]["enabled"] else 0
    if len(webs) != 1 or len(workers) != want_workers or len(deps) != 1 + want_workers:
        fail(f"{where}: expected the web Deployment{' and the worker Deployment' if want_workers else ''} "
             f"(component web/worker), got {[(d['metadata']['name'], component(d)) for d in deps]}")
        return
    if len(web_svcs) != 1 or len(svcs) != 1 + len(metric_svcs):
        fail(f"{where}: expected one web Service, got {[(s['metadata']['name'], component(s)) for s in svcs]}")
        return
    want_metric_svcs = 1 if values["metrics"]["enabled"] else 0
    if len(metric_svcs) != want_metric_svcs:
        fail(f"{where}: expected {want_metric_svcs} metrics Service(s) (metrics.enabled), got {len(metric_svcs)}")
        return
    dep, svc = webs[0], web_svcs[0]
    worker = workers[0] if workers else None

    # Every pod template of the release, by component.
    pods = {"web": dep["spec"]["template"]}
    if worker:
        pods["worker"] = worker["spec"]["template"]
    for job in jobs:
        pods["migrate"] = job["spec"]["template"]
    plabels = {k: p["metadata"].get("labels", {}) for k, p in pods.items()}
    for d in deps:
        sel = d["spec"]["selector"]["matchLabels"]
        mine = d["spec"]["template"]["metadata"].get("labels", {})
        if not selects(sel, mine):
            fail(f"{where}: Deployment {d['metadata']['name']}: its selector {sel} does not match its pod labels {mine}")
        for other, lab in plabels.items():
            if other != component(d) and selects(sel, lab):
                fail(f"{where}: Deployment {d['metadata']['name']}'s selector also selects the {other} pods")
    for k, lab in plabels.items():
        if lab.get("app.kubernetes.io/component") != k:
            fail(f"{where}: the {k} pods must be labelled app.kubernetes.io/component: {k}")

    secret_refs = []   # (pod component, secret name, key)

    def check_pod(spec, what):
        if spec.get("enableServiceLinks") is not False:
            fail(f"{where}: {what}: enableServiceLinks must be false (no <SERVICE>_… variables)")
        if spec.get("automountServiceAccountToken") is not False:
            fail(f"{where}: {what}: automountServiceAccountToken must be false (no use of the Kubernetes API)")
        if not spec.get("serviceAccountName"):
            fail(f"{where}: {what}: no serviceAccountName")
        psc = spec.get("securityContext") or {}
        if psc.get("runAsNonRoot") is not True:
            fail(f"{where}: {what}: the pod must set runAsNonRoot: true")
        if psc.get("runAsUser") in (None, 0):
            fail(f"{where}: {what}: the pod must run as a non-zero runAsUser")
        for c in spec.get("containers", []):
            cw = f"{where}: {what}/{c['name']}"
            if c.get("image") != image:
                fail(f"{cw}: the image must be {image}, not {c.get('image')}")
            sc = c.get("securityContext") or {}
            if sc.get("readOnlyRootFilesystem") is not True:
                fail(f"{cw}: readOnlyRootFilesystem must be true")
            if sc.get("allowPrivilegeEscalation") is not False:
                fail(f"{cw}: allowPrivilegeEscalation must be false")
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                fail(f"{cw}: capabilities must drop ALL")
            env = c.get("env") or []
            names = [e["name"] for e in env]
            for n in names:
                if not env_name_ok(n, keys):
                    fail(f"{cw}: {n} is not a setting the application knows (it would refuse to start)")
            if len(set(names)) != len(names):
                fail(f"{cw}: an environment variable is set twice")
            if "DATABASE_URL" not in names:
                fail(f"{cw}: no DATABASE_URL")
            for e in env:
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                credential = e["name"] in SECRET_VARS or e["name"].startswith("ECHOS_DATABASE__CLUSTERS__")
                if credential and (not ref or "value" in e):
                    fail(f"{cw}: {e['name']} holds credentials: it must come from a Secret (secretKeyRef)")
                if ref:
                    secret_refs.append((what, ref.get("name"), ref.get("key"), e["name"]))
            if c.get("command"):
                fail(f"{cw}: use args; the image's entrypoint is echos")
        return spec.get("containers", [])

    def ports_of(c):
        return {p.get("name"): p["containerPort"] for p in c.get("ports", [])}

    def check_spread(spec, comp):
        ts = values["topologySpread"]
        got = spec.get("topologySpreadConstraints") or []
        if not ts["enabled"]:
            if got:
                fail(f"{where}: {comp}: topologySpread.enabled is false but constraints are set")
            return
        if [t.get("topologyKey") for t in got] != ts["topologyKeys"]:
            fail(f"{where}: {comp}: the spread must be over {ts['topologyKeys']}, not {[t.get('topologyKey') for t in got]}")
        for t in got:
            if t.get("whenUnsatisfiable") != ts["whenUnsatisfiable"] or t.get("maxSkew") != ts["maxSkew"]:
                fail(f"{where}: {comp}: spread over {t.get('topologyKey')} must be maxSkew {ts['maxSkew']}, "
                     f"{ts['whenUnsatisfiable']}")
            if not label_selector_selects(t.get("labelSelector"), plabels[comp]):
                fail(f"{where}: {comp}: the spread over {t.get('topologyKey')} does not select its own pods")
            for other, lab in plabels.items():
                if other != comp and label_selector_selects(t.get("labelSelector"), lab):
                    fail(f"{where}: {comp}: the spread over {t.get('topologyKey')} also counts the {other} pods")

    # --- web ---------------------------------------------------------------------------------
    pspec = dep["spec"]["template"]["spec"]
    containers = check_pod(pspec, "web")
    web = [c for c in containers if c["name"] == "web"]
    if not web:
        fail(f"{where}: the web Deployment has no `web` container")
        return
    web = web[0]
    web_env = env_map(web)
    if web.get("args") != ["serve", "--bind", "0.0.0.0:8080"]:
        fail(f"{where}: the web container must run `serve --bind 0.0.0.0:8080`, not {web.get('args')}")
    ports = ports_of(web)
    if ports.get("http") != 8080:
        fail(f"{where}: the web container must expose 8080 as `http`")
    metrics_on = values["metrics"]["enabled"]
    if metrics_on != (ports.get("metrics") == 9090) or (not metrics_on and "metrics" in ports):
        fail(f"{where}: the web container must expose 9090 as `metrics` exactly when metrics.enabled ({ports})")
    for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        hg = (web.get(probe) or {}).get("httpGet") or {}
        if hg.get("path") != path or hg.get("port") not in ("http", 8080):
            fail(f"{where}: web {probe} must GET {path} on the http port, not {hg}")
        if hg.get("httpHeaders"):
            fail(f"{where}: web {probe}: no Host header is needed, the probes answer on any host")
    if (web.get("lifecycle") or {}).get("preStop"):
        fail(f"{where}: the web container has a preStop hook: the shutdown delay is the application's own "
             f"(http.shutdownDelaySecs), a preStop sleep would add to it outside the grace period's budget")
    grace = pspec.get("terminationGracePeriodSeconds")
    http = values["http"]
    stop = int(http["shutdownDelaySecs"]) + int(http["shutdownGraceSecs"]) + STOP_MARGIN \
        + (0 if values["worker"]["enabled"] else IN_SERVE_WORKER_STOP)
    if not isinstance(grace, int) or grace < stop:
        fail(f"{where}: web terminationGracePeriodSeconds ({grace}) must cover the shutdown delay + grace + "
             f"{STOP_MARGIN} s (+ {IN_SERVE_WORKER_STOP} s with the worker inside serve): {stop}")
    if values["web"]["terminationGracePeriodSeconds"] and grace != values["web"]["terminationGracePeriodSeconds"]:
        fail(f"{where}: web terminationGracePeriodSeconds is {grace}, not the value's {values['web']['terminationGracePeriodSeconds']}")
    hpa_on = values["web"]["autoscaling"]["enabled"]
    if hpa_on and "replicas" in dep["spec"]:
        fail(f"{where}: with the autoscaler on, the web Deployment must not set replicas (each upgrade would reset them)")
    if not hpa_on and dep["spec"].get("replicas") != values["web"]["replicaCount"]:
        fail(f"{where}: the web Deployment must run web.replicaCount ({values['web']['replicaCount']}) pods")
    if (web.get("resources") or {}) != (values["web"].get("resources") or {}):
        fail(f"{where}: the web container's resources are not web.resources")
    want_in_serve = "false" if values["worker"]["enabled"] else "true"
    if (web_env.get("ECHOS_ACCOUNTS__WORKER_IN_SERVE") or {}).get("value") != want_in_serve:
        fail(f"{where}: the web pods must set ECHOS_ACCOUNTS__WORKER_IN_SERVE={want_in_serve} "
             f"(worker.enabled is {values['worker']['enabled']})")
    mb = (web_env.get("ECHOS_TELEMETRY__METRICS_BIND") or {}).get("value")
    if mb != ("0.0.0.0:9090" if metrics_on else None):
        fail(f"{where}: ECHOS_TELEMETRY__METRICS_BIND is {mb!r}; it must be 0.0.0.0:9090 exactly when metrics.enabled")
    if (web_env.get("ECHOS_TELEMETRY__LOG_FORMAT") or {}).get("value") != values["telemetry"]["logFormat"]:
        fail(f"{where}: ECHOS_TELEMETRY__LOG_FORMAT is not telemetry.logFormat")
    for name, v in (("ECHOS_HTTP__SHUTDOWN_DELAY_SECS", http["shutdownDelaySecs"]),
                    ("ECHOS_HTTP__SHUTDOWN_GRACE_SECS", http["shutdownGraceSecs"])):
        if (web_env.get(name) or {}).get("value") != str(v):
            fail(f"{where}: {name} must be {v}: terminationGracePeriodSeconds is computed from it")
    check_spread(pspec, "web")

    # --- worker ------------------------------------------------------------------------------
    if worker:
        wspec = worker["spec"]["template"]["spec"]
        wcs = check_pod(wspec, "worker")
        if [c["name"] for c in wcs] != ["worker"]:
            fail(f"{where}: the worker Deployment must have one `worker` container")
        for c in wcs:
            if c.get("args") != ["worker"]:
                fail(f"{where}: the worker must run `worker`, not {c.get('args')}")
            wp = ports_of(c)
            if 8080 in wp.values() or "http" in wp:
                fail(f"{where}: the worker has no HTTP server: it must not expose 8080")
            if wp != ({"metrics": 9090} if metrics_on else {}):
                fail(f"{where}: the worker must expose 9090 as `metrics` exactly when metrics.enabled, not {wp}")
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                p = c.get(probe)
                if not p:
                    continue
                hg = p.get("httpGet")
                if not metrics_on or not hg or hg.get("port") not in ("metrics", 9090) or hg.get("path") != "/metrics":
                    fail(f"{where}: worker {probe}: the only thing to probe is GET /metrics on the metrics port "
                         f"(when metrics.enabled), not {p}")
            if metrics_on and not ((c.get("livenessProbe") or {}).get("httpGet") or {}).get("path"):
                fail(f"{where}: with metrics on, the worker's liveness must GET /metrics")
            wn = [e["name"] for e in c.get("env") or [] if e["name"] not in WORKER_ONLY_DIFF]
            if wn != [e["name"] for e in web.get("env") or [] if e["name"] not in WORKER_ONLY_DIFF]:
                fail(f"{where}: the worker and the web pods must share their settings")
            if (c.get("resources") or {}) != (values["worker"].get("resources") or {}):
                fail(f"{where}: the worker container's resources are not worker.resources")
        if worker["spec"].get("replicas") != values["worker"]["replicaCount"]:
            fail(f"{where}: the worker Deployment must run worker.replicaCount pods")
        if wspec.get("terminationGracePeriodSeconds") != values["worker"]["terminationGracePeriodSeconds"]:
            fail(f"{where}: the worker's terminationGracePeriodSeconds is not worker.terminationGracePeriodSeconds")
        if wspec.get("serviceAccountName") != pspec.get("serviceAccountName"):
            fail(f"{where}: the worker and the web pods must run under the same ServiceAccount")
        check_spread(wspec, "worker")

    # --- Services ----------------------------------------------------------------------------
    ssel = svc["spec"].get("selector", {})
    if not selects(ssel, plabels["web"]):
        fail(f"{where}: the Service's selector {ssel} does not select the web pods {plabels['web']}")
    for other in ("worker", "migrate"):
        if other in plabels and selects(ssel, plabels[other]):
            fail(f"{where}: the Service would also select the {other} pods")
    for sp in svc["spec"].get("ports", []):
        tp = sp.get("targetPort")
        if tp not in ports and tp not in ports.values():
            fail(f"{where}: the Service targets port {tp!r}, which the web container does not expose")
        if tp in ("metrics", 9090):
            fail(f"{where}: the web Service (behind the Ingress) must not expose the metrics port")
    svc_ports = {p.get("name") for p in svc["spec"].get("ports", [])} | {p.get("port") for p in svc["spec"].get("ports", [])}
    for msvc in metric_svcs:
        msel = msvc["spec"].get("selector", {})
        for comp in ("web", "worker"):
            if comp in plabels and not selects(msel, plabels[comp]):
                fail(f"{where}: the metrics Service does not select the {comp} pods")
        mports = msvc["spec"].get("ports", [])
        if [p.get("name") for p in mports] != ["metrics"]:
            fail(f"{where}: the metrics Service must have one port, `metrics`")
        for p in mports:
            if p.get("targetPort") not in ("metrics", 9090):
                fail(f"{where}: the metrics Service must target the pods' metrics port, not {p.get('targetPort')!r}")
        for job in jobs:
            for c in job["spec"]["template"]["spec"]["containers"]:
                if "metrics" in ports_of(c) or 9090 in ports_of(c).values():
                    fail(f"{where}: the migrate Job's pods must not expose a metrics port (the metrics Service selects them)")

    # --- migrate Job -------------------------------------------------------------------------
    if values["migrate"]["enabled"]:
        if len(jobs) != 1:
            fail(f"{where}: expected the migrate Job")
        for job in jobs:
            if not {"pre-install", "pre-upgrade"} <= hooks_of(job):
                fail(f"{where}: the migrate Job must be a pre-install,pre-upgrade hook, not {hooks_of(job)}")
            jspec = job["spec"]["template"]["spec"]
            if jspec.get("restartPolicy") != "Never":
                fail(f"{where}: the migrate Job's pods must not restart in place (restartPolicy: Never)")
            for c in check_pod(jspec, "migrate"):
                if c.get("args") != ["migrate"]:
                    fail(f"{where}: the migrate Job must run `migrate`, not {c.get('args')}")
                if [e["name"] for e in c.get("env", [])] != [e["name"] for e in web.get("env", [])]:
                    fail(f"{where}: the migrate Job and the web pods must share their settings")
    elif jobs:
        fail(f"{where}: migrate.enabled is false but a Job was rendered")

    # A hook Job runs before the release's own objects exist (on a first install): what it reads
    # must exist already, or be a hook itself, created before it.
    def ready_before_job(o, job):
        return {"pre-install", "pre-upgrade"} <= hooks_of(o) and hook_weight(o) < hook_weight(job)

    # --- Secrets -----------------------------------------------------------------------------
    secrets = {s["metadata"]["name"]: s for s in by_kind.get("Secret", [])}
    existing = existing_secrets(values)
    used = {}
    for what, name, key, var in secret_refs:
        s = secrets.get(name)
        if s is None:
            if name not in existing:
                fail(f"{where}: {what}: {var} reads Secret {name!r}, which is neither rendered nor an existingSecret of the values")
            continue
        if key not in (s.get("data") or {}) and key not in (s.get("stringData") or {}):
            fail(f"{where}: {what}: {var} reads key {key!r} of Secret {name}, which it does not have")
        used.setdefault(name, set()).add(key)
        if what == "migrate":
            if not all(ready_before_job(s, j) for j in jobs):
                fail(f"{where}: the migrate Job reads Secret {name}, which is not a pre-install/pre-upgrade hook "
                     f"created before it: on a first install it would not exist yet")
        elif is_hook(s):
            fail(f"{where}: {what}: reads Secret {name}, a hook (not managed with the release)")
    for name, s in secrets.items():
        keys_ = set(s.get("data") or {}) | set(s.get("stringData") or {})
        if keys_ - used.get(name, set()):
            fail(f"{where}: Secret {name} has keys no pod reads: {sorted(keys_ - used.get(name, set()))}")
        if s.get("type", "Opaque") != "Opaque":
            fail(f"{where}: Secret {name} must be Opaque")
    plain_secrets = [s for s in secrets.values() if not is_hook(s)]
    hook_secrets = [s for s in secrets.values() if is_hook(s)]
    for h in hook_secrets:
        for p in plain_secrets:
            if set(h.get("data") or {}) != set(p.get("data") or {}):
                fail(f"{where}: the migrate Job's Secret {h['metadata']['name']} and the pods' {p['metadata']['name']} must hold the same keys")
    # The chart's Secret rolls the pods when it changes.
    for comp in ("web", "worker"):
        if comp in pods and plain_secrets and "checksum/secret" not in (pods[comp]["metadata"].get("annotations") or {}):
            fail(f"{where}: the {comp} pods need a checksum/secret annotation (a changed credential must roll them)")

    # --- ServiceAccounts ---------------------------------------------------------------------
    sas = {s["metadata"]["name"]: s for s in by_kind.get("ServiceAccount", [])}
    sa_values = values["serviceAccount"]
    sa_name = pspec.get("serviceAccountName")
    if sa_values["create"]:
        sa = sas.get(sa_name)
        if sa is None or is_hook(sa):
            fail(f"{where}: the web and worker pods run under {sa_name!r}, which the chart does not create with the release")
        else:
            if (sa["metadata"].get("annotations") or {}) != (sa_values["annotations"] or {}):
                fail(f"{where}: ServiceAccount {sa_name} must carry serviceAccount.annotations")
        for name, s in sas.items():
            if s.get("automountServiceAccountToken") is not False:
                fail(f"{where}: ServiceAccount {name} must set automountServiceAccountToken: false")
        for job in jobs:
            jsa = job["spec"]["template"]["spec"].get("serviceAccountName")
            if jsa not in sas or not ready_before_job(sas[jsa], job):
                fail(f"{where}: the migrate Job runs under {jsa!r}, which is not a pre-install/pre-upgrade hook "
                     f"created before it: on a first install it would not exist yet")
    else:
        if sas:
            fail(f"{where}: serviceAccount.create is false but ServiceAccounts were rendered: {sorted(sas)}")
        want = sa_values["name"] or "default"
        for comp, p in pods.items():
            if p["spec"].get("serviceAccountName") != want:
                fail(f"{where}: the {comp} pods must run under serviceAccount.name ({want})")

    # --- PodDisruptionBudget -----------------------------------------------------------------
    pdbs = by_kind.get("PodDisruptionBudget", [])
    auto = values["web"]["autoscaling"]
    least = auto["minReplicas"] if hpa_on else values["web"]["replicaCount"]
    want_pdb = values["web"]["podDisruptionBudget"]["enabled"] and least > 1
    if len(pdbs) != (1 if want_pdb else 0):
        fail(f"{where}: expected {1 if want_pdb else 0} PodDisruptionBudget (web.podDisruptionBudget.enabled, "
             f"{least} web pod(s) at least), got {len(pdbs)}")
    for pdb in pdbs:
        spec = pdb["spec"]
        if not label_selector_selects(spec.get("selector"), plabels["web"]):
            fail(f"{where}: the PodDisruptionBudget does not select the web pods")
        for other in ("worker", "migrate"):
            if other in plabels and label_selector_selects(spec.get("selector"), plabels[other]):
                fail(f"{where}: the PodDisruptionBudget also selects the {other} pods")
        if ("minAvailable" in spec) == ("maxUnavailable" in spec):
            fail(f"{where}: the PodDisruptionBudget must set exactly one of minAvailable and maxUnavailable")
        if isinstance(spec.get("minAvailable"), int) and spec["minAvailable"] >= least:
            fail(f"{where}: PodDisruptionBudget minAvailable {spec['minAvailable']} with {least} web pod(s) blocks every drain")
        if spec.get("maxUnavailable") in (0, "0%"):
            fail(f"{where}: PodDisruptionBudget maxUnavailable 0 blocks every drain")

    # --- HorizontalPodAutoscaler -------------------------------------------------------------
    hpas = by_kind.get("HorizontalPodAutoscaler", [])
    if len(hpas) != (1 if hpa_on else 0):
        fail(f"{where}: expected {1 if hpa_on else 0} HorizontalPodAutoscaler (web.autoscaling.enabled), got {len(hpas)}")
    for hpa in hpas:
        spec = hpa["spec"]
        t = spec.get("scaleTargetRef", {})
        if (t.get("apiVersion"), t.get("kind"), t.get("name")) != ("apps/v1", "Deployment", dep["metadata"]["name"]):
            fail(f"{where}: the HorizontalPodAutoscaler must target the web Deployment, not {t}")
        if (spec.get("minReplicas"), spec.get("maxReplicas")) != (auto["minReplicas"], auto["maxReplicas"]) \
                or spec["minReplicas"] > spec["maxReplicas"]:
            fail(f"{where}: the HorizontalPodAutoscaler must scale between web.autoscaling.minReplicas and maxReplicas")
        cpu = [m for m in spec.get("metrics", []) if (m.get("resource") or {}).get("name") == "cpu"]
        if not cpu or cpu[0]["resource"]["target"].get("averageUtilization") != auto["targetCPUUtilizationPercentage"]:
            fail(f"{where}: the HorizontalPodAutoscaler must aim at web.autoscaling.targetCPUUtilizationPercentage of CPU")
        if not ((web.get("resources") or {}).get("requests") or {}).get("cpu"):
            fail(f"{where}: the autoscaler's CPU target needs a CPU request on the web container")

    # --- NetworkPolicy -----------------------------------------------------------------------
    nps = by_kind.get("NetworkPolicy", [])
    np_values = values["networkPolicy"]
    if len(nps) != (1 if np_values["enabled"] else 0):
        fail(f"{where}: expected {1 if np_values['enabled'] else 0} NetworkPolicy (networkPolicy.enabled), got {len(nps)}")
    for np in nps:
        spec = np["spec"]
        psel = spec.get("podSelector")
        selected = [k for k, lab in plabels.items() if label_selector_selects(psel, lab)]
        for comp in ("web", "worker"):
            if comp in plabels and comp not in selected:
                fail(f"{where}: the NetworkPolicy does not select the {comp} pods")
        exposed = {p["containerPort"] for comp in selected for c in pods[comp]["spec"]["containers"]
                   for p in c.get("ports", [])}
        allowed = set()
        for rule in spec.get("ingress") or []:
            if not rule.get("ports") or not rule.get("from"):
                fail(f"{where}: NetworkPolicy: an ingress rule without ports or sources opens every port to everyone")
            for p in rule.get("ports") or []:
                allowed.add(p.get("port"))
        if allowed != exposed:
            fail(f"{where}: the NetworkPolicy lets in ports {sorted(allowed, key=str)}, the pods expose {sorted(exposed)}")
        egress_on = np_values["egress"]["restrict"]
        if ("Egress" in spec.get("policyTypes", [])) != egress_on:
            fail(f"{where}: the NetworkPolicy restricts egress exactly when networkPolicy.egress.restrict")
        if egress_on:
            eports = {(p.get("port"), p.get("protocol", "TCP")) for r in spec.get("egress") or [] for p in r.get("ports") or []}
            for need in ((53, "UDP"), (53, "TCP")):
                if need not in eports:
                    fail(f"{where}: the NetworkPolicy's egress must allow DNS ({need[0]}/{need[1]})")

    # --- ServiceMonitor ----------------------------------------------------------------------
    sms = by_kind.get("ServiceMonitor", [])
    want_sm = values["metrics"]["serviceMonitor"]["enabled"]
    if len(sms) != (1 if want_sm else 0):
        fail(f"{where}: expected {1 if want_sm else 0} ServiceMonitor (metrics.serviceMonitor.enabled), got {len(sms)}")
    for sm in sms:
        if sm.get("apiVersion") != "monitoring.coreos.com/v1":
            fail(f"{where}: the ServiceMonitor must be monitoring.coreos.com/v1")
        spec = sm.get("spec") or {}
        # No schema for this CRD in kubernetes-validate: at least the fields the chart writes.
        unknown = set(spec) - {"selector", "namespaceSelector", "endpoints", "podTargetLabels", "jobLabel", "targetLabels"}
        if unknown:
            fail(f"{where}: ServiceMonitor: unknown spec fields {sorted(unknown)}")
        for e in spec.get("endpoints") or []:
            bad = set(e) - {"port", "path", "interval", "scrapeTimeout", "scheme", "honorLabels", "relabelings", "metricRelabelings"}
            if bad:
                fail(f"{where}: ServiceMonitor: unknown endpoint fields {sorted(bad)}")
        if namespace not in ((spec.get("namespaceSelector") or {}).get("matchNames") or []):
            fail(f"{where}: the ServiceMonitor must look in the release's namespace")
        targets = [s for s in svcs if label_selector_selects(spec.get("selector"), s["metadata"].get("labels", {}))]
        if targets != metric_svcs or not targets:
            fail(f"{where}: the ServiceMonitor must select the metrics Service only, not {[s['metadata']['name'] for s in targets]}")
        tports = {p.get("name") for t in targets for p in t["spec"].get("ports", [])}
        eps = spec.get("endpoints") or []
        if not eps:
            fail(f"{where}: the ServiceMonitor has no endpoints")
        for e in eps:
            if e.get("port") not in tports or e.get("port") != "metrics":
                fail(f"{where}: the ServiceMonitor scrapes port {e.get('port')!r}, not the metrics Service's `metrics`")
            if e.get("path", "/metrics") != "/metrics":
                fail(f"{where}: the ServiceMonitor must scrape /metrics")

    # --- Ingress -----------------------------------------------------------------------------
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

    known = {"Deployment", "Job", "Service", "Ingress", "Secret", "ServiceAccount", "PodDisruptionBudget",
             "HorizontalPodAutoscaler", "NetworkPolicy", "ServiceMonitor"}
    for k in set(by_kind) - known:
        fail(f"{where}: a {k} is rendered, which validate.sh does not check")


def k8s_versions():
    if os.environ.get("CHART_K8S_VERSIONS"):
        return os.environ["CHART_K8S_VERSIONS"].split()
    try:
        import kubernetes_validate as kv
        return ["1.25.0", kv.latest_version()]
    except ImportError:
        return ["1.25.0"]


# Kinds defined by CRDs, for which kubernetes-validate ships no schema: skipped explicitly (the
# chart's own rules above check the fields it writes), and only these.
SCHEMA_SKIP = {("monitoring.coreos.com/v1", "ServiceMonitor")}


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
            if (o.get("apiVersion"), o.get("kind")) in SCHEMA_SKIP:
                continue
            try:
                kv.validate(o, v, strict=True)
            except kv.ValidationError as e:
                path = ".".join(str(p) for p in e.path)
                fail(f"{where}: Kubernetes {v} schema: {o.get('kind')} {o['metadata'].get('name')}: {path}: {e.message}")
            except (kv.SchemaNotFoundError, kv.InvalidSchemaError) as e:
                fail(f"{where}: Kubernetes {v} schema: {o.get('kind')} {o['metadata'].get('name')}: {getattr(e, 'message', '') or e}")
    return "Kubernetes " + ", ".join(versions) + " (strict; ServiceMonitor, a CRD, skipped)"


# The value sets the chart is rendered with: the defaults, everything switched on, everything
# off, and every credential from a Secret of one's own.
SCENARIOS = {
    "defaults": {},
    "everything-on": {
        "image": {"tag": "1.2.3"},
        "imagePullSecrets": [{"name": "regcred"}],
        "web": {"replicaCount": 3,
                "autoscaling": {"enabled": True, "minReplicas": 3, "maxReplicas": 12, "targetCPUUtilizationPercentage": 60},
                "podDisruptionBudget": {"enabled": True, "minAvailable": 2}},
        "worker": {"replicaCount": 2, "resources": {"requests": {"cpu": "200m", "memory": "256Mi"}}},
        "database": {"url": "postgres://echos:s3cret@db.internal:5432/echosciences?sslmode=require",
                     "subpools": 8, "poolSize": 3, "platformPoolSize": 5,
                     "clusters": [{"name": "second", "existingSecret": "pg-second", "existingSecretKey": "url"}]},
        "http": {"trustedProxies": ["10.0.0.0/8", "fd00::/8"], "shutdownDelaySecs": 10, "shutdownGraceSecs": 45},
        "telemetry": {"otlpEndpoint": "https://otel.example.org",
                      "otlpHeaders": {"authorization": "Basic ZWNob3M6c2VjcmV0", "x-scope-orgid": "echos \"prod\""},
                      "logFormat": "json"},
        "metrics": {"enabled": True, "serviceMonitor": {"enabled": True, "labels": {"release": "kube-prometheus-stack"},
                                                        "interval": "15s"}},
        "mail": {"transport": "smtp", "from": "no-reply@echosciences.example",
                 "smtp": {"url": "smtp://echos:pw@smtp.example.org:587?tls=required"}},
        "media": {"store": "s3", "s3": {"bucket": "echos-media", "region": "eu-west-3",
                                        "endpoint": "https://s3.example.net", "pathStyle": True,
                                        "accessKeyId": "AKIAEXAMPLE", "secretAccessKey": "wJalrXUtnFEMI/EXAMPLE"}},
        "billing": {"stripe": {"secretKey": "sk_live_example", "webhookSecret": "whsec_example"}},
        "serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/echos"}},
        "networkPolicy": {"enabled": True, "ingressPodSelector": {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}},
                          "egress": {"restrict": True,
                                     "extraRules": [{"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}],
                                                     "ports": [{"port": 6432, "protocol": "TCP"}]}]}},
        "topologySpread": {"whenUnsatisfiable": "DoNotSchedule"},
        "extraEnv": [{"name": "ECHOS_TENANCY__CACHE_TTL_SECS", "value": "120"},
                     {"name": "RUST_BACKTRACE", "value": "1"}],
        "extraVolumes": [{"name": "tenants", "configMap": {"name": "regions"}}],
        "extraVolumeMounts": [{"name": "tenants", "mountPath": "/app/tenants", "readOnly": True}],
        "podAnnotations": {"example.org/team": "platform"},
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}],
        "affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 50, "preference": {"matchExpressions": [
                {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["m7g.large"]}]}}]}},
        "ingress": {"className": "nginx",
                    "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "10m"},
                    "extraHosts": [{"host": "echosciences-grenoble.fr", "tlsSecretName": "grenoble-fr-tls"},
                                   {"host": "sciences.example.org"}]},
        "fullnameOverride": "echosciences-prod",
    },
    "minimal": {
        "web": {"replicaCount": 1, "resources": None},
        "worker": {"enabled": False},
        "ingress": {"enabled": False},
        "migrate": {"enabled": False, "resources": None},
        "serviceAccount": {"create": False},
        "topologySpread": {"enabled": False},
        "nameOverride": "echos-web",
    },
    "existing-secrets": {
        "web": {"replicaCount": 4, "terminationGracePeriodSeconds": 60,
                "podDisruptionBudget": {"maxUnavailable": "25%"}},
        "database": {"existingSecret": "pg-app", "existingSecretKeys": {"url": "uri"}},
        "telemetry": {"otlpEndpoint": "http://otel-collector.observability:4318", "existingSecret": "otel-auth"},
        "metrics": {"enabled": True},
        "mail": {"transport": "smtp", "from": "bonjour@echosciences.example", "smtp": {"existingSecret": "smtp-relay"}},
        "media": {"store": "s3", "s3": {"bucket": "echos-media", "region": "eu-west-3", "existingSecret": "s3-keys"}},
        "billing": {"stripe": {"existingSecret": "stripe"}},
        "serviceAccount": {"create": False, "name": "echos-irsa"},
        "networkPolicy": {"enabled": True},
    },
}

# Values the templates guard with `required` or `fail`: set so, the render must fail and name them.
REQUIRED = {
    "database.existingSecret": {"database": {"existingSecret": ""}},
    "platform.domain": {"platform": {"domain": ""}},
    "ingress.tls.secretName": {"ingress": {"tls": {"secretName": ""}}},
    "ingress.extraHosts[].host": {"ingress": {"extraHosts": [{"tlsSecretName": "x-tls"}]}},
    "mail.from": {"mail": {"transport": "smtp", "smtp": {"url": "smtp://relay:25"}}},
    "mail.smtp.existingSecret": {"mail": {"transport": "smtp", "from": "a@b.example"}},
    "media.s3.bucket": {"media": {"store": "s3"}},
    "media.s3.secretAccessKey": {"media": {"store": "s3", "s3": {"bucket": "b", "accessKeyId": "AKIA"}}},
    "billing.stripe.webhookSecret": {"billing": {"stripe": {"secretKey": "sk_test"}}},
    "web.terminationGracePeriodSeconds": {"web": {"terminationGracePeriodSeconds": 20}},
    "web.resources.requests.cpu": {"web": {"resources": None, "autoscaling": {"enabled": True}}},
    "metrics.serviceMonitor.enabled": {"metrics": {"serviceMonitor": {"enabled": True}}},
}

# Values values.schema.json must refuse (Helm checks them before rendering, and in its lint).
SCHEMA_REJECTS = {
    "an unknown top-level value (replicaCount is web.replicaCount)": {"replicaCount": 3},
    "an unknown value in a group": {"web": {"replicas": 3}},
    "telemetry.logFormat other than text or json": {"telemetry": {"logFormat": "xml"}},
    "mail.transport other than outbox or smtp": {"mail": {"transport": "sendmail"}},
    "media.store other than local or s3": {"media": {"store": "gcs"}},
    "a number as a string": {"database": {"poolSize": "4"}},
    "database.subpools above 64": {"database": {"subpools": 65}},
    "a cluster named main": {"database": {"clusters": [{"name": "main", "existingSecret": "pg", "existingSecretKey": "url"}]}},
    "an ECHOS_ name in extraEnv that is not ECHOS_<SECTION>__<KEY>": {"extraEnv": [{"name": "ECHOS_DEBUG", "value": "1"}]},
    "topologySpread.whenUnsatisfiable not a Kubernetes policy": {"topologySpread": {"whenUnsatisfiable": "Never"}},
    "an OTLP endpoint without scheme": {"telemetry": {"otlpEndpoint": "otel:4318"}},
}

TEMPLATES = os.path.basename(CHART) + "/templates/"


def release(scen):
    return {"minimal": "prod", "existing-secrets": "echosciences-staging"}.get(scen, "echos")


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


def check_schema_file(chart, values_defaults):
    path = os.path.join(CHART, "values.schema.json")
    try:
        schema = json.load(open(path))
    except (OSError, ValueError) as e:
        fail(f"values.schema.json: {e}")
        return
    if schema.get("$schema") != "http://json-schema.org/draft-07/schema#":
        fail("values.schema.json: must declare JSON Schema draft-07")
    if schema.get("additionalProperties") is not False:
        fail("values.schema.json: the top level must set additionalProperties: false")
    props = schema.get("properties") or {}
    for k in values_defaults:
        if k not in props:
            fail(f"values.schema.json: no schema for the value {k}")

    # Every leaf of values.yaml has a schema (a type, an enum or a reference).
    def walk(v, s, path):
        if "$ref" in s:
            s = schema["definitions"][s["$ref"].split("/")[-1]]
        if not isinstance(v, dict) or not s.get("properties"):
            if not ({"type", "enum", "anyOf", "oneOf"} & set(s)):
                fail(f"values.schema.json: {path} has no type")
            return
        for k, sub in v.items():
            if k not in s["properties"]:
                if s.get("additionalProperties") is False:
                    fail(f"values.schema.json: {path}.{k} is a value but has no schema")
                continue
            walk(sub, s["properties"][k], f"{path}.{k}")

    walk(values_defaults, schema, "values")
    for what, over in SCHEMA_REJECTS.items():
        try:
            chart.validate_schema(over)
            fail(f"values.schema.json accepts {what}: {over}")
        except helm.HelmError:
            pass


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
    check_schema_file(chart, defaults)
    lint(k8s_versions())
    app_version = str(chart.metadata.get("appVersion", ""))

    schema_note = ""
    show = os.environ.get("CHART_SHOW", "")
    rendered = 0
    namespace = "default"
    for scen, over in SCENARIOS.items():
        try:
            values = chart.merge_values(over)
            out = chart.render(over, name=release(scen), namespace=namespace, is_install=True)
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
        check_objects(objs, values, keys, image, f"[{scen}]", namespace)
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
            fail(f"[required] with {key} so, the chart still renders: {over}")
        except helm.HelmRenderError as e:
            if key not in str(e):
                fail(f"[required] with {key} so, the render fails without naming it: {e}")
        except helm.HelmError as e:
            fail(f"[required] with {key} so: {e}")
    return report(schema_note)


def report(schema_note):
    if ERRORS:
        errors = list(dict.fromkeys(ERRORS))
        for e in errors:
            print("FAIL", e)
        print(f"validate.sh: {len(errors)} problem(s)")
        sys.exit(1)
    print(f"validate.sh: chart OK — Helm {helm.helm_sdk_version()} engine (helm-python-sdk {helm.__version__}): "
          f"lint --strict and {len(SCENARIOS)} value sets rendered, {len(REQUIRED)} refused, "
          f"{len(SCHEMA_REJECTS)} refused by values.schema.json; schemas: {schema_note}; "
          f"kubectl kustomize: {'yes' if shutil.which('kubectl') else 'not installed'}")


main()
PY
