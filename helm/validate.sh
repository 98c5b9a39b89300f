#!/usr/bin/env bash
# Checks the echosciences chart without a cluster and without network access; exits non-zero on
# the first kind of problem found (all problems are listed). What it checks: helm/README.md.
#
#   helm/validate.sh                 # render with a built-in Go-template subset, then check
#   CHART_SKIP_SCHEMA=1 helm/validate.sh   # without the Kubernetes schemas (kubernetes-validate)
#   CHART_K8S_VERSIONS="1.25.0 1.33.0" helm/validate.sh
#   CHART_SHOW=1 helm/validate.sh    # also print the manifests (defaults; or everything-on, minimal)
#
# Needs python3 with PyYAML, and kubernetes-validate (pip install kubernetes-validate pyyaml: it
# ships the schemas, nothing is downloaded at run time). When `helm` is on PATH it also runs
# `helm lint --strict` and checks `helm template`'s output the same way; when `kubectl` is, it
# runs `kubectl kustomize` over the rendered manifests (offline).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec python3 - "$here" "$@" <<'PY'
import copy, json, os, re, shutil, subprocess, sys, tempfile, tomllib

try:
    import yaml
except ImportError:
    sys.exit("validate.sh: PyYAML is missing (pip install pyyaml)")

HELM_DIR = sys.argv[1]
CHART = os.path.join(HELM_DIR, "echosciences")
REPO = os.path.dirname(HELM_DIR)
ERRORS = []


def fail(msg):
    ERRORS.append(msg)


# ---------------------------------------------------------------------------------------------
# A subset of Go text/template + the Sprig/Helm functions this chart uses. Anything outside the
# subset is an error, not a guess, so the chart has to stay within it (or `helm` must be used).
# ---------------------------------------------------------------------------------------------

class TplError(Exception):
    pass


class MissingValue(TplError):
    pass


TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<decl>:=)
  | (?P<assign>=)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<pipe>\|)
  | (?P<comma>,)
  | (?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
  | (?P<field>(?:\.[A-Za-z0-9_]+)+|\.)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
""", re.X)


def tokenize(src):
    out, pos = [], 0
    while pos < len(src):
        m = TOKEN.match(src, pos)
        if not m:
            raise TplError(f"cannot read {src[pos:]!r} in action {{{{{src}}}}}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    return out


def lex(text, name):
    """Text and actions, with {{- -}} trimming and {{/* */}} comments applied."""
    parts, pos = [], 0
    while True:
        start = text.find("{{", pos)
        if start < 0:
            parts.append(("text", text[pos:]))
            break
        parts.append(("text", text[pos:start]))
        i = start + 2
        ltrim = text.startswith("- ", i) or text.startswith("-\n", i) or text.startswith("-\t", i)
        if ltrim:
            i += 1
        # Find the closing braces outside string literals.
        j, quote = i, None
        while j < len(text):
            c = text[j]
            if quote:
                if c == "\\" and quote == '"':
                    j += 2
                    continue
                if c == quote:
                    quote = None
            elif c in "\"`":
                quote = c
            elif text.startswith("}}", j):
                break
            j += 1
        else:
            raise TplError(f"{name}: unclosed action at offset {start}")
        body = text[i:j]
        rtrim = body.endswith(" -") or body.endswith("\n-") or body.endswith("\t-")
        if rtrim:
            body = body[:-1]
        pos = j + 2
        if ltrim and parts and parts[-1][0] == "text":
            parts[-1] = ("text", parts[-1][1].rstrip())
        stripped = body.strip()
        if stripped.startswith("/*"):
            if not stripped.endswith("*/"):
                raise TplError(f"{name}: a comment must be alone in its action")
            parts.append(("comment", None))
        else:
            parts.append(("action", stripped))
        parts.append(("rtrim", rtrim))
    # Apply right trims to the following text.
    out, trim_next = [], False
    for kind, val in parts:
        if kind == "rtrim":
            trim_next = val
            continue
        if kind == "text":
            if trim_next:
                val = val.lstrip()
            trim_next = False
            if val:
                out.append(("text", val))
        elif kind == "action":
            trim_next = False
            out.append(("action", val))
        else:
            trim_next = False
    return out


def parse(parts, name):
    """A tree: ("text", s) | ("out", pipe) | ("if"/"with", pipe, body, else) | ("range", vars, pipe, body, else) | ("define", n, body)."""
    pos = 0

    def block(stop):
        nonlocal pos
        body = []
        while pos < len(parts):
            kind, val = parts[pos]
            if kind == "text":
                body.append(("text", val))
                pos += 1
                continue
            toks = tokenize(val)
            head = toks[0][1] if toks and toks[0][0] == "ident" else None
            if head in ("end", "else"):
                if head not in stop:
                    raise TplError(f"{name}: unexpected {{{{{val}}}}}")
                return body, head, toks
            pos += 1
            if head in ("if", "with", "range"):
                rest = toks[1:]
                vars_ = []
                if head == "range":
                    # range $i, $v := pipe   |   range $v := pipe
                    k = [t[0] for t in rest]
                    if "decl" in k:
                        d = k.index("decl")
                        vars_ = [t[1] for t in rest[:d] if t[0] == "var"]
                        rest = rest[d + 1:]
                node_body, ended, etoks = block(("end", "else"))
                els = []
                if ended == "else":
                    # `else if` was rewritten by parse_else_if into `else` + a nested `if`.
                    if len(etoks) > 1:
                        raise TplError(f"{name}: unexpected {{{{{parts[pos][1]}}}}}")
                    pos += 1
                    els, _, _ = block(("end",))
                pos += 1  # the `end`
                if head == "range":
                    body.append(("range", vars_, rest, node_body, els))
                else:
                    body.append((head, rest, node_body, els))
            elif head == "define":
                if len(toks) != 2 or toks[1][0] != "str":
                    raise TplError(f"{name}: define needs one name")
                node_body, _, _ = block(("end",))
                pos += 1
                body.append(("define", json.loads(toks[1][1]), node_body))
            elif head in ("template", "block", "break", "continue", "tpl"):
                raise TplError(f"{name}: `{head}` is outside the supported subset")
            else:
                body.append(("out", toks))
        if stop:
            raise TplError(f"{name}: missing {{{{end}}}}")
        return body, None, None

    tree, _, _ = block(())
    return tree


def parse_else_if(parts, name):
    """Rewrites {{else if X}} ... {{end}} into {{else}}{{if X}} ... {{end}}{{end}} before parsing."""
    out, depth_stack = [], []
    for kind, val in parts:
        if kind == "action":
            toks = tokenize(val) if val else []
            head = toks[0][1] if toks and toks[0][0] == "ident" else None
            if head in ("if", "with", "range", "define"):
                depth_stack.append(0)
            elif head == "else" and len(toks) > 1:
                if toks[1][1] != "if":
                    raise TplError(f"{name}: only `else if` is supported")
                out.append(("action", "else"))
                out.append(("action", " ".join(t[1] for t in toks[1:])))
                depth_stack[-1] += 1
                continue
            elif head == "end":
                extra = depth_stack.pop()
                out.extend([("action", "end")] * extra)
        out.append((kind, val))
    return out


def go_str(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(int(v)) if v.is_integer() and abs(v) < 1e21 else repr(v)
    if isinstance(v, (int, str)):
        return str(v)
    raise TplError(f"printing a {type(v).__name__} ({v!r}) directly; use toYaml or toJson")


def truthy(v):
    if v is None or v is False:
        return False
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v != 0
    if isinstance(v, (str, list, dict, tuple)):
        return len(v) > 0
    return True


def to_yaml(v):
    return yaml.safe_dump(v, default_flow_style=False, sort_keys=True, allow_unicode=True).rstrip("\n")


def indent(n, s):
    pad = " " * int(n)
    return pad + go_str(s).replace("\n", "\n" + pad)


def go_printf(fmt, *args):
    args = list(args)

    def sub(m):
        verb = m.group(1)
        if verb == "%":
            return "%"
        if not args:
            raise TplError(f"printf {fmt!r}: missing argument")
        a = args.pop(0)
        if verb in "sv":
            return go_str(a)
        if verb == "d":
            return str(int(a))
        if verb == "q":
            return json.dumps(go_str(a))
        raise TplError(f"printf verb %{verb} is outside the subset")

    out = re.sub(r"%([svdq%])", sub, fmt)
    if args:
        raise TplError(f"printf {fmt!r}: too many arguments")
    return out


def required(msg, v):
    if v is None or (isinstance(v, str) and v == ""):
        raise TplError(f"required: {msg}")
    return v


class Renderer:
    def __init__(self, chart_dir, values, release_name="echos", namespace="default"):
        meta = yaml.safe_load(open(os.path.join(chart_dir, "Chart.yaml")))
        names = {"apiVersion": "APIVersion", "appVersion": "AppVersion", "kubeVersion": "KubeVersion"}
        chart = {names.get(k, k[:1].upper() + k[1:]): v for k, v in meta.items()}
        self.root = {
            "Values": values,
            "Chart": chart,
            "Release": {"Name": release_name, "Namespace": namespace, "Service": "Helm",
                        "IsInstall": True, "IsUpgrade": False, "Revision": 1},
            "Capabilities": {"KubeVersion": {"Version": "v1.30.0", "Major": "1", "Minor": "30"}},
        }
        self.defines = {}
        self.trees = {}
        tdir = os.path.join(chart_dir, "templates")
        for fn in sorted(os.listdir(tdir)):
            path = os.path.join(tdir, fn)
            if not os.path.isfile(path):
                continue
            name = f"{os.path.basename(chart_dir)}/templates/{fn}"
            parts = parse_else_if(lex(open(path).read(), name), name)
            tree = parse(parts, name)
            for node in tree:
                if node[0] == "define":
                    if node[1] in self.defines:
                        raise TplError(f"{name}: {node[1]!r} is defined twice")
                    self.defines[node[1]] = node[2]
            self.trees[fn] = [n for n in tree if n[0] != "define"]
        self.funcs = {
            "include": self.include,
            "toYaml": to_yaml,
            "toJson": lambda v: json.dumps(v, separators=(",", ":"), sort_keys=True),
            "nindent": lambda n, s: "\n" + indent(n, s),
            "indent": indent,
            "quote": lambda *a: " ".join(json.dumps(go_str(x), ensure_ascii=False) for x in a if x is not None),
            "squote": lambda *a: " ".join("'" + go_str(x) + "'" for x in a if x is not None),
            "default": lambda d, *v: (v[0] if v and truthy(v[0]) else d),
            "printf": go_printf,
            "trunc": lambda n, s: go_str(s)[: int(n)] if int(n) >= 0 else go_str(s)[int(n):],
            "trimSuffix": lambda suf, s: go_str(s)[: -len(suf)] if suf and go_str(s).endswith(suf) else go_str(s),
            "replace": lambda old, new, s: go_str(s).replace(old, new),
            "contains": lambda sub, s: sub in go_str(s),
            "required": required,
            "eq": lambda a, *b: any(a == x for x in b),
            "ne": lambda a, b: a != b,
            "not": lambda v: not truthy(v),
            "and": self._and,
            "or": self._or,
            "empty": lambda v: not truthy(v),
            "lower": lambda s: go_str(s).lower(),
            "upper": lambda s: go_str(s).upper(),
        }
        self.missing = set()

    @staticmethod
    def _and(*a):
        for x in a:
            if not truthy(x):
                return x
        return a[-1]

    @staticmethod
    def _or(*a):
        for x in a:
            if truthy(x):
                return x
        return a[-1]

    def include(self, name, ctx):
        if name not in self.defines:
            raise TplError(f"include: no template named {name!r}")
        return self.exec(self.defines[name], ctx, {"$": ctx})

    def render(self, fn):
        return self.exec(self.trees[fn], self.root, {"$": self.root})

    # -- evaluation --
    def field(self, base, path, strict_from):
        cur = base
        for i, key in enumerate(path):
            if cur is None:
                raise TplError(f"nil pointer evaluating .{'.'.join(path[:i])}.{key}")
            if not isinstance(cur, dict):
                raise TplError(f"cannot read field {key} of a {type(cur).__name__}")
            if key not in cur:
                if strict_from is not None:
                    self.missing.add(".".join(strict_from + path[: i + 1]))
                cur = None
            else:
                cur = cur[key]
        return cur

    def operand(self, tok, dot, scope):
        kind, val = tok
        if kind == "str":
            return json.loads(val)
        if kind == "raw":
            return val[1:-1]
        if kind == "num":
            return float(val) if "." in val else int(val)
        if kind == "field":
            if val == ".":
                return dot
            path = val[1:].split(".")
            # Strict check on .Values.<…> read from the root context.
            strict = [] if (dot is self.root and path[0] == "Values") else None
            return self.field(dot, path, strict)
        if kind == "var":
            name, *path = val.split(".")
            if name not in scope:
                raise TplError(f"undefined variable {name}")
            return self.field(scope[name], path, None)
        if kind == "ident" and val in ("true", "false"):
            return val == "true"
        if kind == "ident" and val == "nil":
            return None
        raise TplError(f"unexpected {val!r}")

    def command(self, toks, dot, scope, piped, has_piped):
        # Group parenthesised sub-pipelines into single operands.
        items, i = [], 0
        while i < len(toks):
            if toks[i][0] == "lparen":
                depth, j = 1, i + 1
                while depth:
                    if j >= len(toks):
                        raise TplError("unbalanced parentheses")
                    depth += {"lparen": 1, "rparen": -1}.get(toks[j][0], 0)
                    j += 1
                items.append(("sub", toks[i + 1: j - 1]))
                i = j
            else:
                items.append(toks[i])
                i += 1
        if not items:
            raise TplError("empty command")

        def value(it):
            if it[0] == "sub":
                return self.pipeline(it[1], dot, scope)
            return self.operand(it, dot, scope)

        first = items[0]
        if first[0] == "ident" and first[1] not in ("true", "false", "nil"):
            fn = self.funcs.get(first[1])
            if fn is None:
                raise TplError(f"function {first[1]!r} is outside the supported subset")
            args = [value(it) for it in items[1:]]
            if has_piped:
                args.append(piped)
            try:
                return fn(*args)
            except TypeError as e:
                raise TplError(f"{first[1]}: {e}")
        if len(items) > 1 or has_piped:
            raise TplError(f"{first[1]!r} is not a function")
        return value(first)

    def pipeline(self, toks, dot, scope):
        decl = None
        if len(toks) >= 2 and toks[0][0] == "var" and toks[1][0] in ("decl", "assign"):
            decl, toks = toks[0][1], toks[2:]
        cmds, cur = [], []
        depth = 0
        for t in toks:
            if t[0] == "lparen":
                depth += 1
            elif t[0] == "rparen":
                depth -= 1
            if t[0] == "pipe" and depth == 0:
                cmds.append(cur)
                cur = []
            else:
                cur.append(t)
        cmds.append(cur)
        val, has = None, False
        for c in cmds:
            val = self.command(c, dot, scope, val, has)
            has = True
        if decl:
            scope[decl] = val
            return ""
        return val

    def exec(self, nodes, dot, scope):
        out = []
        for node in nodes:
            kind = node[0]
            if kind == "text":
                out.append(node[1])
            elif kind == "out":
                v = self.pipeline(node[1], dot, scope)
                out.append(go_str(v))
            elif kind in ("if", "with"):
                inner = dict(scope)
                v = self.pipeline(node[1], dot, inner)
                if truthy(v):
                    out.append(self.exec(node[2], v if kind == "with" else dot, inner))
                else:
                    out.append(self.exec(node[3], dot, dict(scope)))
            elif kind == "range":
                inner = dict(scope)
                v = self.pipeline(node[2], dot, inner)
                if isinstance(v, dict):
                    items = [(k, v[k]) for k in sorted(v)]
                elif isinstance(v, list):
                    items = list(enumerate(v))
                elif v is None:
                    items = []
                else:
                    raise TplError(f"range over a {type(v).__name__}")
                if not items:
                    out.append(self.exec(node[4], dot, dict(scope)))
                for k, item in items:
                    s = dict(inner)
                    if len(node[1]) == 1:
                        s[node[1][0]] = item
                    elif len(node[1]) == 2:
                        s[node[1][0]], s[node[1][1]] = k, item
                    out.append(self.exec(node[3], item, s))
            else:
                raise TplError(f"unexpected node {kind}")
        return "".join(out)


def deep_merge(base, over):
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


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
# Checks on rendered manifests.
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


def check_objects(objs, values, keys, where):
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


def schema_check(objs, where):
    if os.environ.get("CHART_SKIP_SCHEMA") == "1":
        return "skipped (CHART_SKIP_SCHEMA=1)"
    try:
        import kubernetes_validate as kv
    except ImportError:
        fail("kubernetes-validate is not installed (pip install kubernetes-validate), "
             "or run with CHART_SKIP_SCHEMA=1 to skip the schema checks")
        return "missing"
    versions = os.environ.get("CHART_K8S_VERSIONS", f"1.25.0 {kv.latest_version()}").split()
    for v in versions:
        for o in objs:
            try:
                kv.validate(o, v, strict=True)
            except kv.ValidationError as e:
                path = ".".join(str(p) for p in e.path)
                fail(f"{where}: Kubernetes {v} schema: {o.get('kind')} {o['metadata'].get('name')}: {path}: {e.message}")
            except (kv.SchemaNotFoundError, kv.InvalidSchemaError) as e:
                fail(f"{where}: Kubernetes {v} schema: {e}")
    return "Kubernetes " + ", ".join(versions) + " (strict)"


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

    base = yaml.safe_load(open(os.path.join(CHART, "values.yaml")))
    schema_note = ""
    for scen, over in SCENARIOS.items():
        values = deep_merge(base, over)
        try:
            r = Renderer(CHART, values, release_name="echos" if scen != "minimal" else "prod")
        except TplError as e:
            fail(f"parsing the templates: {e}")
            break
        objs = []
        for fn in sorted(r.trees):
            where = f"[{scen}] templates/{fn}"
            try:
                text = r.render(fn)
            except TplError as e:
                fail(f"{where}: {e}")
                continue
            if fn == "NOTES.txt":
                if "<no value>" in text or not text.strip():
                    fail(f"{where}: renders empty or with a missing value")
                continue
            if fn.startswith("_"):
                if text.strip():
                    fail(f"{where}: a helpers file must only define templates")
                continue
            objs += load_docs(text, where)
        for m in sorted(r.missing):
            fail(f"[{scen}] the templates read {m}, which values.yaml does not define")
        check_objects(objs, values, keys, f"[{scen}]")
        schema_note = schema_check(objs, f"[{scen}]")
        show = os.environ.get("CHART_SHOW", "")
        if show == scen or (show == "1" and scen == "defaults"):
            for fn in sorted(r.trees):
                if not fn.startswith("_"):
                    print(f"# ---- {fn}\n{r.render(fn)}")
        with tempfile.TemporaryDirectory() as tmp:
            if shutil.which("kubectl") and objs:
                with open(os.path.join(tmp, "all.yaml"), "w") as f:
                    yaml.safe_dump_all(objs, f)
                with open(os.path.join(tmp, "kustomization.yaml"), "w") as f:
                    f.write("resources:\n  - all.yaml\n")
                p = subprocess.run(["kubectl", "kustomize", tmp], capture_output=True, text=True)
                if p.returncode != 0:
                    fail(f"[{scen}] kubectl kustomize: {p.stderr.strip()}")

    if shutil.which("helm"):
        p = subprocess.run(["helm", "lint", "--strict", CHART], capture_output=True, text=True)
        if p.returncode != 0:
            fail(f"helm lint --strict:\n{p.stdout}{p.stderr}")
        p = subprocess.run(["helm", "template", "echos", CHART], capture_output=True, text=True)
        if p.returncode != 0:
            fail(f"helm template: {p.stderr}")
        else:
            objs = load_docs(p.stdout, "[helm template]")
            check_objects(objs, base, keys, "[helm template]")
            schema_check(objs, "[helm template]")

    if ERRORS:
        errors = list(dict.fromkeys(ERRORS))
        for e in errors:
            print("FAIL", e)
        print(f"validate.sh: {len(errors)} problem(s)")
        sys.exit(1)
    print(f"validate.sh: chart OK — {len(SCENARIOS)} value sets rendered; schemas: {schema_note}; "
          f"helm: {'yes' if shutil.which('helm') else 'not installed, built-in renderer only'}; "
          f"kubectl kustomize: {'yes' if shutil.which('kubectl') else 'not installed'}")


main()
PY
