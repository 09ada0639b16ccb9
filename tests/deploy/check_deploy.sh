#!/usr/bin/env bash
# What ships, checked without a Docker engine or a cluster (none exists here):
#   - deploy/Dockerfile passes dockerfilelint (npm);
#   - its runtime stage installs every shared library the binary links: each
#     library `ldd` resolves belongs to a Debian package in the stage's list or
#     pulled in by one (apt-cache's dependency closure);
#   - deploy/docker-compose.yml passes `docker-compose config -q` (Debian's);
#   - both Kubernetes overlays render with Debian's kubectl 1.20 (kustomize) and
#     every object validates against the Kubernetes and KEDA schemas (npm
#     kubernetes-models, @kubernetes-models/keda);
#   - the workflows pass @action-validator/cli (npm);
#   - probes and health checks name routes the service serves, container ports
#     are the configured port, and every configuration file and ST_* variable of
#     the Dockerfile, compose and the manifests is accepted by the binary.
#   check_deploy.sh BINARY WORK_DIR
set -euo pipefail
binary=$1
work=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
tools=$root/tests/player/node_modules/.bin
kubectl=$root/.tools/kubernetes-client/usr/bin/kubectl
rm -rf "$work" && mkdir -p "$work"
failures=0
passes=0
check() {  # check NAME COMMAND...: runs it, prints ok/FAIL with its output on failure
  local name=$1
  shift
  if "$@" > "$work/out.txt" 2>&1; then
    echo "ok   $name"
    passes=$((passes + 1))
  else
    echo "FAIL $name"
    sed 's/^/     /' "$work/out.txt" | head -n 40
    failures=$((failures + 1))
  fi
}

check "dockerfilelint deploy/Dockerfile" "$tools/dockerfilelint" "$root/deploy/Dockerfile"

runtime_libraries() {
  local listed closure missing=()
  listed=$(sed -n '/# runtime-packages:begin/,/# runtime-packages:end/p' "$root/deploy/Dockerfile" \
    | sed -n '/install/,$p' | tr ' \\' '\n\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' \
    | grep -vxE 'apt-get|install|update|rm|-rf|-y|-qq|&&' | sort -u)
  [ -n "$listed" ] || { echo "no runtime package list between the markers"; return 1; }
  closure=$( (echo "$listed"; apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances $listed 2> /dev/null | grep -E '^[a-z0-9]' | sed 's/:.*//') | sort -u)
  # Debian's own essentials are in every image of debian:bookworm-slim.
  closure+=$'\n'$(dpkg-query -W -f='${Package} ${Essential}\n' | awk '$2 == "yes" { print $1 }')
  while read -r library; do
    local owner
    owner=$(dpkg -S "$library" 2> /dev/null || dpkg -S "/usr$library" 2> /dev/null \
      || dpkg -S "$(readlink -f "$library")" 2> /dev/null || true)
    owner=${owner%%:*}
    if [ -z "$owner" ] || ! grep -qx "$owner" <<< "$closure"; then missing+=("$library (${owner:-no package})"); fi
  # The sanitizers' runtimes are linked by the ASan build only, never shipped.
  done < <(ldd "$binary" | awk '$3 ~ /^\// && $1 !~ /^lib(a|ub|l|t)san/ { print $3 }')
  [ ${#missing[@]} -eq 0 ] || { printf 'not installed by the runtime stage: %s\n' "${missing[@]}"; return 1; }
  echo "$(ldd "$binary" | grep -c '=> /') libraries, all from: $(tr '\n' ' ' <<< "$listed")"
}
check "the runtime stage installs every library the binary links" runtime_libraries

check "docker-compose config -q deploy/docker-compose.yml" docker-compose -f "$root/deploy/docker-compose.yml" config -q

for overlay in dev prod; do
  check "kubectl 1.20 kustomize overlays/$overlay" sh -c "'$kubectl' kustomize '$root/deploy/k8s/overlays/$overlay' > '$work/$overlay.yaml'"
  check "overlays/$overlay validates (Kubernetes, KEDA)" node "$root/tests/player/validate_manifests.mjs" "$work/$overlay.yaml"
done

for workflow in "$root"/.github/workflows/*.yml; do
  check "action-validator $(basename "$workflow")" "$tools/action-validator" "$workflow"
done

# Probes, ports and health checks against the code.
probes_and_ports() {
  local paths port
  # Every httpGet of every probe (PyYAML comes with the aws CLI), and the HEALTHCHECK's URL.
  paths=$( (python3 -c '
import sys, yaml
def walk(node):
    if isinstance(node, dict):
        if "httpGet" in node: print(node["httpGet"]["path"])
        for value in node.values(): walk(value)
    elif isinstance(node, list):
        for value in node: walk(value)
for path in sys.argv[1:]:
    for document in yaml.safe_load_all(open(path)): walk(document)
' "$work"/*.yaml
    grep -oE 'http://127.0.0.1:8080/[^ ]*' "$root/deploy/Dockerfile" | sed 's|http://127.0.0.1:8080||') | sort -u)
  [ -n "$paths" ] || { echo "no probe found"; return 1; }
  for path in $paths; do
    grep -rqF "\"$path\"" "$root/src/http" || { echo "probe path $path is not a route in src/http"; return 1; }
  done
  for port in $(grep -ho 'containerPort: [0-9]*' "$work"/*.yaml | awk '{ print $2 }' | sort -u) \
    $(grep -o '^EXPOSE [0-9]*' "$root/deploy/Dockerfile" | awk '{ print $2 }'); do
    for config in "$root/deploy/k8s/base/config.json" "$root/deploy/compose/stream-transcoding.json"; do
      [ "$(jq -r .http.port "$config")" = "$port" ] || { echo "port $port is not http.port of $config"; return 1; }
    done
  done
  echo "probes: $(tr '\n' ' ' <<< "$paths")"
}
check "probes name routes, ports are http.port" probes_and_ports

# Each configuration file with the ST_* variables its deployment sets: the
# binary must accept them all (a refused key exits 2 with "configuration").
config_accepted() {
  local config=$1
  shift
  local secrets=$work/secrets
  mkdir -p "$secrets"
  printf 'x' > "$secrets/password"
  head -c 32 /dev/urandom | base64 > "$secrets/cursor-key"
  local environment=(PATH="$PATH" HOME="$HOME")
  local variable
  for variable in $(grep -hoE 'ST_[A-Z0-9_]+__[A-Z0-9_]+' "$@" | sort -u); do
    case $variable in
      *_FILE) environment+=("$variable=$secrets/password") ;;
      ST_DRM__STATIC_KEYS) ;;  # a document of keys: optional, validated by its own tests
      *) environment+=("$variable=$(grep -hoE "${variable}[:=] *\"?[^\" ]*" "$@" | head -n 1 | sed -E "s/^${variable}[:=] *\"?//")") ;;
    esac
  done
  environment+=(ST_DATABASE__PASSWORD_FILE="$secrets/password" ST_REDIS__PASSWORD_FILE="$secrets/password"
    ST_API__CURSOR_KEY_FILE="$secrets/cursor-key" ST_AUTH__JWKS_URL=https://login.example/jwks.json
    ST_HTTP__PORT=0 ST_STORAGE__SCRATCH_DIR="$work/scratch" ST_API__SWAGGER_UI_DIR="$work")
  mkdir -p "$work/scratch"
  local status=0
  env -i "${environment[@]}" timeout 20 "$binary" serve --role api --config "$config" > "$work/serve.txt" 2>&1 || status=$?
  if [ "$status" -eq 2 ] || grep -q 'configuration' "$work/serve.txt"; then
    cat "$work/serve.txt"
    return 1
  fi
  echo "accepted (then: $(grep -o 'cannot start: [^"]*' "$work/serve.txt" | head -c 120))"
}
check "k8s config.json and the manifests' ST_* variables are accepted" \
  config_accepted "$root/deploy/k8s/base/config.json" "$root/deploy/k8s/base/api.yaml" "$root/deploy/k8s/base/worker.yaml" "$root/deploy/Dockerfile"
check "compose's configuration and ST_* variables are accepted" \
  config_accepted "$root/deploy/compose/stream-transcoding.json" "$root/deploy/docker-compose.yml" "$root/deploy/Dockerfile"

echo "deploy: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
