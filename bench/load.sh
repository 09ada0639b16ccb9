#!/usr/bin/env bash
# The whole service under load: upload events through Kafka at a chosen rate,
# an API process consuming them, worker processes transcoding real clips from
# S3 and announcing outcomes through the outbox.
#
#   bench/load.sh [EVENTS] [RATE] [LEVEL...]
#
# EVENTS upload events (default 24) at RATE per second (default 2), for each
# LEVEL "WORKERSxCONCURRENCY" (default: 1x1 1x2 2x1), each on a fresh broker
# and database. The source is a 4-second 640x360 clip with sound. Prints per
# level: throughput (outcomes per minute), p50 and p95 seconds from upload
# event to outcome event (the two messages' timestamps), database statements
# per job and the slowest statement (pg_stat_statements), and each worker's
# settings. Fails when an outcome is missing or not a success.
#
# ST_LOAD_SETTINGS adds settings to every process ("ST_KAFKA__OUTBOX_POLL_MS=1000 ...").
# ST_LOAD_BINARY and ST_LOAD_BROKER name prebuilt binaries (CTest sets them;
# the dev stack's environment must then be set too); otherwise it builds and
# starts the dev stack itself.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=bench/lib.sh
source bench/lib.sh
events=${1:-24}
rate=${2:-2}
shift $(($# < 2 ? $# : 2))
levels=("$@")
[ ${#levels[@]} -gt 0 ] || levels=(1x1 1x2 2x1)

if [ -z "${ST_LOAD_BINARY:-}" ]; then
  bench_build test stream-transcoding kafka-mock-broker
  eval "$(scripts/dev-stack.sh up)"
fi
binary=${ST_LOAD_BINARY:-$repo/build/release/src/stream-transcoding}
broker_binary=${ST_LOAD_BROKER:-$repo/build/release/tools/kafka-mock-broker}

work=$(mktemp -d)
pids=()
database_name=st_bench_load_$$
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null || true; done
  pids=()
}
cleanup() {
  stop_all
  psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $database_name" > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# One short real clip, uploaded once.
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=640x360:rate=30" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 4 -c:v libx264 -preset veryfast -c:a aac -shortest \
  "$work/clip.mp4"
key=load-$$/clip.mp4
aws s3 cp --only-show-errors "$work/clip.mp4" "s3://uploads/$key"
size=$(stat -c %s "$work/clip.mp4")
sha=$(sha256sum "$work/clip.mp4" | cut -c1-64)

uploaded=video-service.video-uploaded
transcoded=transcoding-service.video-transcoded
statements=false
results=$work/results
: > "$results"

wait_port() {  # LOG -> the port the process listens on
  local port=""
  for _ in $(seq 200); do
    port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$1" 2> /dev/null | head -n 1 | sed 's/.*://' || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "load: a service did not start:" >&2; cat "$1" >&2; exit 1; }
  echo "$port"
}

for level in "${levels[@]}"; do
  workers=${level%x*}
  concurrency=${level#*x}
  dir=$work/$level
  mkdir -p "$dir"
  "$broker_binary" --bootstrap-file "$dir/bootstrap" --topic "$uploaded:6" --topic "$uploaded.dead-letter:6" \
    --topic "$transcoded:6" > "$dir/broker.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$dir/bootstrap" ] && break; sleep 0.1; done
  bootstrap=$(cat "$dir/bootstrap")

  psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $database_name" > /dev/null 2>&1
  psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "CREATE DATABASE $database_name" > /dev/null
  database=${ST_TEST_POSTGRES_ADMIN_URL%/*}/$database_name
  # Statement counts need pg_stat_statements preloaded (the dev stack does it).
  if psql "$database" -qc "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" > /dev/null 2>&1 \
    && psql "$database" -tAc "SELECT count(*) FROM pg_stat_statements" > /dev/null 2>&1; then
    statements=true
  fi

  # ST_LOAD_SETTINGS: more ST_* settings for every process, to compare tunings.
  # shellcheck disable=SC2206
  common=(env ST_DATABASE__URL="$database" ST_KAFKA__BOOTSTRAP_SERVERS="$bootstrap" ST_KAFKA__GROUP_ID=load
    ST_HTTP__HOST=127.0.0.1 ST_HTTP__PORT=0 ST_LOG__FORMAT=json ${ST_LOAD_SETTINGS:-})
  "${common[@]}" "$binary" serve --role api > "$dir/api.log" 2>&1 &
  pids+=($!)
  wait_port "$dir/api.log" > /dev/null
  for w in $(seq "$workers"); do
    mkdir -p "$dir/scratch-$w"
    "${common[@]}" ST_WORKER__CONCURRENCY="$concurrency" ST_STORAGE__SCRATCH_DIR="$dir/scratch-$w" \
      "$binary" serve --role worker > "$dir/worker-$w.log" 2>&1 &
    pids+=($!)
    wait_port "$dir/worker-$w.log" > /dev/null
  done
  [ "$statements" != true ] || psql "$database" -qtAc "SELECT pg_stat_statements_reset()" > /dev/null

  # Upload events at the rate, each its own video of the same clip.
  python3 - "$events" "$rate" "$level" "$key" "$size" "$sha" <<'PY' \
    | kcat -P -b "$bootstrap" -t "$uploaded" -K $'\t' -X linger.ms=0
import json, sys, time
n, rate, level, key, size, sha = int(sys.argv[1]), float(sys.argv[2]), *sys.argv[3:]
start = time.monotonic()
for i in range(n):
    while time.monotonic() < start + i / rate:
        time.sleep(0.005)
    video = f"load-{level}-{i}"
    event = {"videoId": video, "tenantId": "load", "uploadedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
             "source": {"bucket": "uploads", "key": key, "sizeBytes": int(size), "contentType": "video/mp4",
                        "checksum": "sha256:" + sha}}
    print(video + "\t" + json.dumps(event), flush=True)
PY

  # Outcomes, until every video has one (or a generous deadline passes).
  deadline=$((SECONDS + 60 + events * 20 / (workers * concurrency)))
  while :; do
    kcat -C -b "$bootstrap" -t "$transcoded" -o beginning -e -q -f '%k\t%T\t%s\n' > "$dir/outcomes" 2> /dev/null || true
    [ "$(wc -l < "$dir/outcomes")" -lt "$events" ] || break
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 1
  done
  kcat -C -b "$bootstrap" -t "$uploaded" -o beginning -e -q -f '%k\t%T\n' > "$dir/uploads" 2> /dev/null
  slowest="n/a"
  per_job="n/a"
  if [ "$statements" = true ]; then
    per_job=$(psql "$database" -tAc "SELECT round(sum(calls)::numeric / $events, 1) FROM pg_stat_statements s
      JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$database_name' AND query NOT LIKE '%pg_stat_statements%'")
    slowest=$(psql "$database" -tAc "SELECT round(max_exec_time::numeric, 1) || ' ms, ' || calls || ' calls: '
      || regexp_replace(left(query, 90), '\s+', ' ', 'g') FROM pg_stat_statements s
      JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$database_name' AND query NOT LIKE '%pg_stat_statements%'
      ORDER BY max_exec_time DESC LIMIT 1")
  fi
  stop_all
  python3 - "$dir" "$events" "$level" "$per_job" "$slowest" >> "$results" <<'PY'
import json, statistics, sys
from pathlib import Path
d, n, level, per_job, slowest = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
uploads = {}
for line in (d / "uploads").read_text().splitlines():
    k, t = line.split("\t")
    uploads.setdefault(k, int(t))
latencies, failed = [], []
last = 0
for line in (d / "outcomes").read_text().splitlines():
    k, t, payload = line.split("\t", 2)
    status = json.loads(payload).get("status")
    if status != "succeeded":
        failed.append(f"{k}: {status}")
    if k in uploads:
        latencies.append((int(t) - uploads[k]) / 1000)
        last = max(last, int(t))
first = min(uploads.values()) if uploads else 0
q = statistics.quantiles(latencies, n=20, method="inclusive") if len(latencies) > 1 else [0] * 19
minutes = (last - first) / 60000 if last > first else 0
print(json.dumps({"level": level, "outcomes": len(latencies), "events": n, "failed": failed,
                  "per_minute": len(latencies) / minutes if minutes else 0,
                  "p50": statistics.median(latencies) if latencies else 0, "p95": q[18],
                  "statements_per_job": per_job, "slowest": slowest}))
PY
done

python3 - "$results" "$events" "$rate" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"{sys.argv[2]} upload events at {sys.argv[3]}/s, a 4 s 640x360 clip each (workers x jobs per worker)")
print(f'{"level":>6} {"outcomes":>9} {"per min":>8} {"p50 s":>6} {"p95 s":>6} {"stmts/job":>9}  slowest statement')
ok = True
for r in rows:
    print(f'{r["level"]:>6} {r["outcomes"]:>4}/{r["events"]:<4} {r["per_minute"]:8.1f} {r["p50"]:6.1f} {r["p95"]:6.1f} '
          f'{r["statements_per_job"]:>9}  {r["slowest"]}')
    for f in r["failed"][:5]:
        print(f"       not a success: {f}")
    ok &= r["outcomes"] == r["events"] and not r["failed"]
sys.exit(0 if ok else 1)
PY
