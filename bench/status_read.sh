#!/usr/bin/env bash
# GET /v1/jobs/{id} requests per second with the Redis status cache against
# without it, on the same machine in one run: `serve --role api` on a fresh
# database, one job, then REQUESTS reads (curl --parallel, 32 at a time) of
# that job twice: without redis.url (every read a database round trip), and with
# it (reads from the cache). Prints both rates and their ratio, and the
# database transactions each read cost (pg_stat_database).
#   bench/status_read.sh [REQUESTS]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
requests=${1:-20000}
bench_build test stream-transcoding
eval "$(scripts/dev-stack.sh up)"

work=$(mktemp -d)
service_pid=""
cleanup() {
  [ -z "$service_pid" ] || kill "$service_pid" 2> /dev/null || true
  wait 2> /dev/null || true
  psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "DROP DATABASE IF EXISTS st_bench_status" > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "DROP DATABASE IF EXISTS st_bench_status" > /dev/null
psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "CREATE DATABASE st_bench_status" > /dev/null
database=${ST_TEST_POSTGRES_ADMIN_URL%/*}/st_bench_status
redis_url=$ST_REDIS__URL

# `serve --role api` with the given redis.url; sets service_pid and port.
start() {
  [ -z "$service_pid" ] || { kill "$service_pid"; wait "$service_pid" 2> /dev/null || true; }
  # The access log of 20,000 requests would measure the log: warnings only, on a port chosen here.
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  ST_DATABASE__URL=$database ST_REDIS__URL=$1 ST_REDIS__KEY_PREFIX="bench-$$:" ST_KAFKA__BOOTSTRAP_SERVERS= \
    ST_S3__ENDPOINT= ST_HTTP__PORT=$port ST_HTTP__HOST=127.0.0.1 ST_LOG__FORMAT=json ST_LOG__LEVEL=warn \
    ST_AUTH__ENABLED=false ST_AUTH__DEVELOPMENT=true \
    ST_API__SUBJECT_REQUESTS_PER_SECOND=1000000 ST_API__SUBJECT_BURST=1000000 \
    ST_API__TENANT_REQUESTS_PER_SECOND=1000000 ST_API__TENANT_BURST=1000000 \
    build/release/src/stream-transcoding serve --role api > "$work/service.log" 2>&1 &
  service_pid=$!
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/health/live" && return 0
    sleep 0.1
  done
  cat "$work/service.log" >&2
  exit 1
}

# CPU seconds the service process has used (user + system).
service_cpu() {
  python3 -c "import os; f = open('/proc/$service_pid/stat').read().rsplit(')', 1)[1].split(); print((int(f[11]) + int(f[12])) / os.sysconf('SC_CLK_TCK'))"
}

transactions() {
  psql "$database" -tAc "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'st_bench_status'"
}

# "<requests per second> <database transactions per read> <service CPU µs per read>" of REQUESTS reads of job $1.
measure() {
  local id=$1 config=$work/urls
  : > "$config"
  for _ in $(seq "$requests"); do
    printf 'url = "http://127.0.0.1:%s/v1/jobs/%s"\noutput = "/dev/null"\n' "$port" "$id" >> "$config"
  done
  # Warm up (connections, the pool, the cache), then measure.
  curl -s -o /dev/null "http://127.0.0.1:$port/v1/jobs/$id"
  local start end ok before after cpu_before cpu_after
  sleep 1.5  # PostgreSQL publishes its statistics at most once a second
  before=$(transactions)
  cpu_before=$(service_cpu)
  start=$(date +%s.%N)
  ok=$(curl -s --no-progress-meter --parallel --parallel-max 32 -w '%{http_code}\n' -K "$config" | grep -c '^200$' || true)
  end=$(date +%s.%N)
  cpu_after=$(service_cpu)
  [ "$ok" -eq "$requests" ] || { echo "only $ok of $requests reads answered 200" >&2; exit 1; }
  sleep 1.5
  after=$(transactions)
  python3 -c "print(f'{$requests / ($end - $start):.0f} {($after - $before) / $requests:.3f} {($cpu_after - $cpu_before) * 1e6 / $requests:.0f}')"
}

start ""
id=$(curl -s -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$port/v1/jobs" \
  -d '{"videoId":"bench-video","source":{"key":"bench.mp4"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
read -r without without_tx without_cpu <<< "$(measure "$id")"
start "$redis_url"
read -r with with_tx with_cpu <<< "$(measure "$id")"
echo "GET /v1/jobs/{id}, $requests reads, 32 at a time, one API process ($(nproc) cores):"
echo "  database only:        $without requests/s, $without_tx database transactions and $without_cpu µs of service CPU per read"
echo "  Redis status cache:   $with requests/s, $with_tx database transactions and $with_cpu µs of service CPU per read"
python3 -c "print(f'  ratio (cache/database): {$with / $without:.2f}')"
