#!/usr/bin/env bash
# S3 transfers and the share of a job spent outside ffmpeg, against moto.
#   bench/s3.sh [SIZE_MIB] [ROUNDS]
# 1. S3Store upload and download throughput with 1, 4 and 8 parts in flight.
# 2. A 30-second 1080p master through the whole service (S3 in, S3 out): the job's
#    wall time (claim to success), the encode step's wall time from report.json,
#    and the share outside ffmpeg (fetch, probe, packaging, poster, publishing).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
size=${1:-256}
rounds=${2:-3}
bench_build test stream-transcoding s3_throughput
eval "$(scripts/dev-stack.sh up)"

work=$(mktemp -d)
pids=()
database=st_bench_s3_$$
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  wait 2> /dev/null || true
  psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $database" > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m moto.server -H 127.0.0.1 -p "$port" > "$work/moto.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
s3=http://127.0.0.1:$port

echo "== S3Store throughput against moto on loopback ($(nproc) cores)"
head -c "$((size << 20))" /dev/urandom > "$work/blob"
build/release/bench/s3_throughput "$s3" "$work/blob" "$rounds"
rm -f "$work/blob"

echo "== one job, 30 s 1080p master, S3 in and out"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1920x1080:rate=30" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 30 -c:v libx264 -preset veryfast -b:v 8M -pix_fmt yuv420p \
  -c:a aac -shortest "$work/master.mp4"
aws --endpoint-url "$s3" s3 mb s3://uploads > /dev/null
aws --endpoint-url "$s3" s3 mb s3://outputs > /dev/null
aws --endpoint-url "$s3" s3 cp "$work/master.mp4" s3://uploads/bench/master.mp4 > /dev/null
psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "CREATE DATABASE $database" > /dev/null
ST_DATABASE__URL=${ST_TEST_POSTGRES_ADMIN_URL%/*}/$database ST_KAFKA__BOOTSTRAP_SERVERS= ST_S3__ENDPOINT=$s3 \
  ST_S3__OUTPUT_BUCKET=outputs ST_S3__ACCESS_KEY_ID=bench ST_S3__SECRET_ACCESS_KEY=bench \
  ST_STORAGE__SCRATCH_DIR=$work/scratch ST_WORKER__CONCURRENCY=1 ST_HTTP__HOST=127.0.0.1 ST_HTTP__PORT=0 \
  ST_LOG__FORMAT=json build/release/src/stream-transcoding serve > "$work/service.log" 2>&1 &
pids+=($!)
api=""
for _ in $(seq 100); do
  api=$(grep -o 'listening on [0-9.]*:[0-9]*' "$work/service.log" | head -n 1 | sed 's/listening on //' || true)
  [ -n "$api" ] && break
  sleep 0.1
done
id=$(curl -s -X POST "http://$api/v1/jobs" -H 'Content-Type: application/json' \
  -d "{\"tenantId\":\"bench\",\"videoId\":\"bench-1\",\"source\":{\"bucket\":\"uploads\",\"key\":\"bench/master.mp4\"}}" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 600); do
  status=$(curl -s "http://$api/v1/jobs/$id" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])')
  [ "$status" = succeeded ] || [ "$status" = failed ] || [ "$status" = dead ] && break
  sleep 0.5
done
[ "$status" = succeeded ] || { echo "job $status"; tail "$work/service.log"; exit 1; }
psql "${ST_TEST_POSTGRES_ADMIN_URL%/*}/$database" -tAc \
  "SELECT extract(epoch FROM finished_at - started_at), result FROM jobs WHERE id = '$id'" > "$work/job.txt"
prefix=$(cut -d'|' -f2- "$work/job.txt" | python3 -c 'import json, sys; print(json.load(sys.stdin)["outputPrefix"])')
aws --endpoint-url "$s3" s3 cp "s3://outputs/${prefix}report.json" "$work/report.json" > /dev/null
python3 - "$work/job.txt" "$work/report.json" <<'PY'
import json, sys
wall, result = open(sys.argv[1]).read().strip().split("|", 1)
wall = float(wall)
result = json.loads(result)
report = json.load(open(sys.argv[2]))
steps = {s["name"]: s["wall_seconds"] for s in report["steps"]}
encode = steps["encode"]
t = result["timings"]
print(f"job wall time (claim to success): {wall:.2f} s")
print(f"  fetch {t['fetchSeconds']:.2f} s, transcode {t['transcodeSeconds']:.2f} s "
      f"(of which ffmpeg encode {encode:.2f} s), publish {t['publishSeconds']:.2f} s "
      f"({result['objects']} objects, {result['bytes'] / 2**20:.1f} MiB)")
print(f"outside ffmpeg: {wall - encode:.2f} s = {100 * (wall - encode) / wall:.1f}% of the job (goal <= 10%)")
PY
