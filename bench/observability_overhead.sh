#!/usr/bin/env bash
# What metrics and tracing cost, measured in one run, alternating off and on:
#   (1) ingest: upload events accepted per second by `serve --role api`
#       (bench/ingest.sh's load: 10% duplicates, 1% poison) from a Kafka-protocol broker;
#   (2) a job: a 30-second 1080p master transcoded by `serve` (submitted over HTTP,
#       timed from the POST to `succeeded`).
# "off" is metrics.enabled=false and no otel.endpoint; "on" is metrics on and
# every span exported (sample ratio 1) to an OTLP receiver on loopback that
# takes the requests without decoding them (a collector's CPU is another
# machine's in production, and would compete for these two cores here).
#
#   bench/observability_overhead.sh [RUNS] [EVENTS] [SECONDS]
#
# Prints the medians and the on/off ratios. Defaults: 3 runs, 20000 events, 30 s;
# EVENTS at most about 80,000 (the mock broker keeps about 5 MB per partition);
# SECONDS 0 measures ingest alone.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=bench/lib.sh
source bench/lib.sh
runs=${1:-3}
events=${2:-20000}
seconds=${3:-30}
bench_build test stream-transcoding kafka-mock-broker
eval "$(scripts/dev-stack.sh up)"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

build/release/tools/kafka-mock-broker --bootstrap-file "$work/bootstrap" > /dev/null 2>&1 &
pids+=($!)
node tests/fakes/otlp_receiver.mjs --mode discard --out "$work/requests.jsonl" > "$work/receiver.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/bootstrap" ] && grep -q listening "$work/receiver.out" && break; sleep 0.1; done
otlp="http://127.0.0.1:$(awk '/listening/ {print $2}' "$work/receiver.out")"

if [ "$seconds" != 0 ]; then
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=1920x1080:rate=30" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
    -t "$seconds" -c:v libx264 -preset veryfast -b:v 8M -pix_fmt yuv420p -c:a aac -shortest "$work/master.mp4"
fi

python3 bench/observability_overhead.py "$repo/build/release/src/stream-transcoding" "$work" "$(cat "$work/bootstrap")" \
  "$otlp" "$runs" "$events"
