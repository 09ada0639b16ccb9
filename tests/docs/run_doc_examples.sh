#!/usr/bin/env bash
# Every curl example of the documentation, run against the service on the dev
# stack: each `sh` block holding `curl` in docs/*.md (and README.md outside its
# walkthrough, which e2e.TheReadmeWalkthroughRunsVerbatimFromAFreshClone runs),
# file by file in one shell per file, against `serve --role api` on :8080 with
# a database of its own and no token needed (auth.development). Each curl must
# be annotated with the status it gets (`# → 200`); the statuses it really got
# must be those, in order, and each request's method and path must be an
# operation of docs/openapi.yaml.
#   run_doc_examples.sh BINARY WORK_DIR      (needs the dev stack's environment)
set -euo pipefail
binary=$1
work=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
: "${ST_TEST_POSTGRES_ADMIN_URL:?run eval \"\$(scripts/dev-stack.sh up)\" first}"
rm -rf "$work" && mkdir -p "$work"
database=st_docs_$$
export ST_DATABASE__URL=${ST_TEST_POSTGRES_ADMIN_URL%/*}/$database
psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "CREATE DATABASE $database" > /dev/null
service=""
cleanup() {
  [ -z "$service" ] || { kill "$service" 2> /dev/null; wait "$service" 2> /dev/null || true; }
  psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $database" > /dev/null 2>&1 || true
}
trap cleanup EXIT

ST_HTTP__PORT=8080 ST_HTTP__HOST=127.0.0.1 ST_KAFKA__GROUP_ID=docs-$$ ST_AUTH__ENABLED=false \
  ST_AUTH__DEVELOPMENT=true ST_STORAGE__SCRATCH_DIR=$work/scratch "$binary" serve --role api > "$work/service.log" 2>&1 &
service=$!
for _ in $(seq 60); do
  curl -sf -o /dev/null http://127.0.0.1:8080/health/ready && break
  kill -0 "$service" 2> /dev/null || { tail -n 20 "$work/service.log"; echo "docs: the service did not start" >&2; exit 1; }
  sleep 0.5
done

passes=0
failures=0
for doc in "$root"/docs/*.md "$root/README.md"; do
  name=${doc#"$root"/}
  # The sh blocks that hold curl (README's walkthrough left out), and the statuses they promise.
  awk '/<!-- walkthrough:begin -->/ { skip = 1 } /<!-- walkthrough:end -->/ { skip = 0 }
       !skip && /^```sh$/ { inside = 1; block = ""; next }
       inside && /^```$/ { inside = 0; if (block ~ /(^|[^a-z])curl /) printf "%s", block; next }
       inside { block = block $0 "\n" }' "$doc" > "$work/examples.sh"
  [ -s "$work/examples.sh" ] || continue
  # `# → 200 each`: a call in a loop, made any number of times, each answered so.
  { grep -oE '# → [0-9]{3}( each)?' "$work/examples.sh" || true; } | awk '{ print $3 ($4 == "each" ? "*" : "") }' \
    > "$work/promised.txt"
  calls=$(grep -oE '(^|[^a-z])curl ' "$work/examples.sh" | grep -c . || true)
  if [ "$calls" -ne "$(grep -c . "$work/promised.txt")" ]; then
    echo "FAIL $name: $calls curl calls but $(grep -c . "$work/promised.txt") '# → STATUS' annotations"
    failures=$((failures + 1))
    continue
  fi
  # Each curl reports its status, method and URL on stderr after its own output.
  (
    cd "$work"
    curl() { command curl -w '%{stderr}@@ %{http_code} %{method} %{url_effective}\n' "$@"; }
    export -f curl
    bash -euo pipefail "$work/examples.sh" > "$work/stdout.txt" 2> "$work/stderr.txt"
  ) || { echo "FAIL $name: the examples exited non-zero"; tail -n 20 "$work/stderr.txt"; failures=$((failures + 1)); continue; }
  grep '^@@ ' "$work/stderr.txt" | awk '{ print $2 }' > "$work/got.txt"
  if ! python3 - "$work/promised.txt" "$work/got.txt" > "$work/diff.txt" <<'PY'; then
import re, sys
promised = open(sys.argv[1]).read().split()
got = open(sys.argv[2]).read().split()
pattern = "".join(f"(?:{p[:-1]} )*" if p.endswith("*") else f"{p} " for p in promised)
if not re.fullmatch(pattern, "".join(f"{g} " for g in got)):
    print("promised:", " ".join(promised))
    print("got:     ", " ".join(got))
    sys.exit(1)
PY
    echo "FAIL $name: statuses differ from the documented ones (promised, got):"
    cat "$work/diff.txt"
    failures=$((failures + 1))
    continue
  fi
  if ! python3 - "$root/docs/openapi.yaml" "$work/stderr.txt" <<'PY'; then
import sys, yaml, urllib.parse
spec = yaml.safe_load(open(sys.argv[1]))
def matches(template, path):
    t, p = template.strip("/").split("/"), path.strip("/").split("/")
    return len(t) == len(p) and all(a == b or (a.startswith("{") and a.endswith("}")) for a, b in zip(t, p))
bad = []
for line in open(sys.argv[2]):
    if not line.startswith("@@ "):
        continue
    _, status, method, url = line.split()
    path = urllib.parse.urlparse(url).path
    if not any(matches(t, path) and method.lower() in ops for t, ops in spec["paths"].items()):
        bad.append(f"{method} {path}")
if bad:
    print("not operations of openapi.yaml:", ", ".join(bad))
    sys.exit(1)
PY
    echo "FAIL $name: a request is not in the OpenAPI document"
    failures=$((failures + 1))
    continue
  fi
  echo "ok   $name: $calls curl calls got their documented statuses ($(tr '\n' ' ' < "$work/got.txt"))"
  passes=$((passes + 1))
done
echo "docs: $passes passed, $failures failed"
[ "$failures" -eq 0 ] && [ "$passes" -gt 0 ]
