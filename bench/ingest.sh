#!/usr/bin/env bash
# Upload events accepted per second, end to end: kcat produces N events (10%
# duplicates, 1% poison) to a fresh Kafka-protocol broker while `serve --role api`
# consumes them into a fresh database; prints events/s and the final counts.
#   bench/ingest.sh [EVENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
events=${1:-50000}
bench_build test stream-transcoding kafka-mock-broker
eval "$(scripts/dev-stack.sh up)"

work=$(mktemp -d)
broker_pid=""
service_pid=""
cleanup() {
  [ -z "$service_pid" ] || kill "$service_pid" 2> /dev/null || true
  [ -z "$broker_pid" ] || kill "$broker_pid" 2> /dev/null || true
  wait 2> /dev/null || true
  psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "DROP DATABASE IF EXISTS st_bench_ingest" > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

uploaded=video-service.video-uploaded
dead=video-service.video-uploaded.dead-letter
build/release/tools/kafka-mock-broker --bootstrap-file "$work/bootstrap" \
  --topic "$uploaded:6" --topic "$dead:6" --topic transcoding-service.video-transcoded:6 > /dev/null 2>&1 &
broker_pid=$!
for _ in $(seq 100); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
bootstrap=$(cat "$work/bootstrap")

psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "DROP DATABASE IF EXISTS st_bench_ingest" > /dev/null
psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "CREATE DATABASE st_bench_ingest" > /dev/null
database=${ST_TEST_POSTGRES_ADMIN_URL%/*}/st_bench_ingest

# key<TAB>value lines: every 10th event repeats an earlier one, every 100th is poison.
python3 - "$events" > "$work/events.txt" 2> "$work/counts" <<'PY'
import json, sys
n = int(sys.argv[1])
unique = poison = 0
def event(v):
    return json.dumps({"videoId": v, "tenantId": "bench", "uploadedAt": "2026-11-25T10:00:00Z",
                       "source": {"bucket": "uploads", "key": v + ".mp4", "sizeBytes": 1000, "contentType": "video/mp4"}})
for i in range(n):
    if i % 100 == 99:
        poison += 1
        print(f"poison-{i}\t{{\"videoId\": \"poison-{i}\", \"tenantId\": 42}}")
    elif i % 10 == 9 and unique > 0:
        v = f"video-{(i * 7919) % unique}"
        print(v + "\t" + event(v))
    else:
        v = f"video-{unique}"
        unique += 1
        print(v + "\t" + event(v))
print(unique, poison, file=sys.stderr)
PY
read -r unique poison < "$work/counts"

# Logs as in production: one JSON line per job created, to a file.
log=$work/service.log
ST_DATABASE__URL=$database ST_KAFKA__BOOTSTRAP_SERVERS=$bootstrap ST_KAFKA__GROUP_ID=bench \
  ST_HTTP__HOST=127.0.0.1 ST_HTTP__PORT=0 ST_LOG__FORMAT=json \
  build/release/src/stream-transcoding serve --role api > "$log" 2>&1 &
service_pid=$!
port=""
for _ in $(seq 100); do
  port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$log" | head -n 1 | sed 's/.*://' || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "the service did not start"; cat "$log"; exit 1; }
metric() { curl -s "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

start=$(date +%s.%N)
kcat -P -b "$bootstrap" -t "$uploaded" -K $'\t' -l "$work/events.txt"
produced=$(date +%s.%N)
while [ "$(metric st_kafka_messages_consumed_total)" -lt "$events" ] 2> /dev/null \
  || [ "$(( $(metric st_kafka_jobs_created_total) + $(metric st_kafka_duplicate_events_total) + $(metric st_kafka_dead_lettered_total) ))" -lt "$events" ]; do
  sleep 0.05
done
done_at=$(date +%s.%N)

jobs=$(psql "$database" -tAc "SELECT count(*) FROM jobs")
dead_letters=$(kcat -C -b "$bootstrap" -t "$dead" -o beginning -e -q -f '%o\n' | wc -l)
python3 - "$events" "$start" "$produced" "$done_at" <<'PY'
import sys
n, start, produced, done = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"events: {n}; kcat produced them in {produced - start:.2f} s")
print(f"accepted end to end in {done - start:.2f} s: {n / (done - start):,.0f} events/s")
PY
echo "jobs created: $jobs (unique events: $unique)"
echo "dead letters: $dead_letters (poison events: $poison)"
echo "consumer: $(metric st_kafka_jobs_created_total) created, $(metric st_kafka_duplicate_events_total) duplicates, $(metric st_kafka_dead_lettered_total) dead-lettered"
[ "$jobs" -eq "$unique" ] && [ "$dead_letters" -eq "$poison" ]
