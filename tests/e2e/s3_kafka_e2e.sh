#!/usr/bin/env bash
# The whole path on real servers: a master uploaded to S3 (moto) with the aws CLI,
# an upload event produced with kcat, `serve` consuming it, and then: the job
# succeeds; the VideoTranscoded event read with kcat lists the renditions; the
# objects are in S3 under the documented names; the HLS and DASH outputs, served
# back from S3 over HTTP, play in hls.js, dash.js and Shaka in chromium.
#   s3_kafka_e2e.sh BINARY MOCK_BROKER WORK_DIR      (needs ST_TEST_POSTGRES_ADMIN_URL)
set -euo pipefail
binary=$1
broker_binary=$2
work=$3
here=$(cd "$(dirname "$0")" && pwd)
: "${ST_TEST_POSTGRES_ADMIN_URL:?run eval \"\$(scripts/dev-stack.sh up)\" first}"

rm -rf "$work" && mkdir -p "$work"
database=st_e2e_$$
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  wait 2> /dev/null || true
  psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $database" > /dev/null 2>&1 || true
}
trap cleanup EXIT
fail() { echo "e2e: $*" >&2; [ ! -f "$work/service.log" ] || tail -n 30 "$work/service.log" >&2; exit 1; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m moto.server -H 127.0.0.1 -p "$port" > "$work/moto.log" 2>&1 &
pids+=($!)
"$broker_binary" --bootstrap-file "$work/bootstrap" --topic video-service.video-uploaded:2 \
  --topic video-service.video-uploaded.dead-letter:1 --topic transcoding-service.video-transcoded:2 \
  > "$work/broker.log" 2>&1 &
pids+=($!)
psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "CREATE DATABASE $database" > /dev/null
for _ in $(seq 100); do
  [ -s "$work/bootstrap" ] && curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.2
done
bootstrap=$(cat "$work/bootstrap")
s3=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=e2e AWS_SECRET_ACCESS_KEY=e2e AWS_DEFAULT_REGION=us-east-1
aws() { command aws --endpoint-url "$s3" "$@"; }

# The master: 12 s of 1080p with audio, uploaded the way Video Management would.
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1920x1080:rate=30" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 12 -c:v libx264 -preset ultrafast -pix_fmt yuv420p \
  -c:a aac -shortest "$work/master.mp4"
aws s3 mb s3://uploads > /dev/null
aws s3 mb s3://outputs > /dev/null
# As a CDN origin would be: anyone may read the outputs, from any page.
aws s3api put-bucket-policy --bucket outputs --policy \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::outputs/*"}]}'
aws s3api put-bucket-cors --bucket outputs --cors-configuration \
  '{"CORSRules":[{"AllowedOrigins":["*"],"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["*"]}]}'
aws s3 cp "$work/master.mp4" s3://uploads/acme/e2e-1/master.mp4 > /dev/null

ST_DATABASE__URL=${ST_TEST_POSTGRES_ADMIN_URL%/*}/$database ST_KAFKA__BOOTSTRAP_SERVERS=$bootstrap \
  ST_KAFKA__GROUP_ID=e2e ST_S3__ENDPOINT=$s3 ST_S3__OUTPUT_BUCKET=outputs ST_S3__SOURCE_BUCKETS=uploads ST_STORAGE__SCRATCH_DIR=$work/scratch \
  ST_STORAGE__OUTPUT_PREFIX=renditions ST_TRANSCODE__SEGMENT_SECONDS=2 ST_TRANSCODE__PRESET=veryfast \
  ST_WORKER__CONCURRENCY=1 ST_HTTP__HOST=127.0.0.1 ST_HTTP__PORT=0 ST_LOG__FORMAT=json \
  ST_AUTH__ENABLED=false ST_AUTH__DEVELOPMENT=true \
  "$binary" serve > "$work/service.log" 2>&1 &
pids+=($!)

size=$(stat -c %s "$work/master.mp4")
checksum=$(sha256sum "$work/master.mp4" | cut -c1-64)
printf '{"videoId":"e2e-1","tenantId":"acme","uploadedAt":"2026-11-25T10:00:00Z","source":{"bucket":"uploads","key":"acme/e2e-1/master.mp4","sizeBytes":%s,"contentType":"video/mp4","checksum":"sha256:%s"}}\n' \
  "$size" "$checksum" | kcat -P -b "$bootstrap" -t video-service.video-uploaded -k e2e-1 -H MessageId=e2e-message-1

event=""
for _ in $(seq 180); do
  event=$(kcat -C -b "$bootstrap" -t transcoding-service.video-transcoded -o beginning -e -q -f '%s\n' 2> /dev/null | head -n 1)
  [ -n "$event" ] && break
  sleep 1
done
[ -n "$event" ] || fail "no VideoTranscoded event within 180 s"
echo "$event" > "$work/event.json"

# The event lists the renditions, and every key it names exists in S3.
prefix=$(python3 - "$work/event.json" <<'PY'
import json, sys
event = json.load(open(sys.argv[1]))
assert event["status"] == "succeeded", event
names = [r["name"] for r in event["renditions"]]
assert names == ["1080p", "720p", "480p", "360p", "240p"], names
assert event["outputPrefix"] == f"renditions/acme/e2e-1/{event['jobId']}/run-1/", event["outputPrefix"]
assert event["masterPlaylistKey"] == event["outputPrefix"] + "master.m3u8"
assert event["bucket"] == "outputs", event["bucket"]
print(event["outputPrefix"])
PY
) || fail "unexpected event: $(cat "$work/event.json")"
aws s3 ls --recursive "s3://outputs/$prefix" | awk '{print $4}' | sed "s#^$prefix##" | sort > "$work/objects.txt"
for expected in master.m3u8 manifest.mpd report.json thumbnails/poster.jpg video/1080p/init.mp4 \
  video/1080p/seg-00001.m4s video/1080p/playlist.m3u8 video/240p/seg-00006.m4s audio/aac-stereo-und/init.mp4; do
  grep -qx "$expected" "$work/objects.txt" || fail "s3://outputs/$prefix$expected is missing"
done
echo "e2e: $(wc -l < "$work/objects.txt") objects under s3://outputs/$prefix"
# The published report tells readers about the media, not about the worker.
aws s3 cp "s3://outputs/${prefix}report.json" "$work/report.json" > /dev/null
python3 - "$work/report.json" "$work" <<'PY' || fail "the published report.json holds local paths or commands"
import json, sys
text = open(sys.argv[1]).read()
report = json.loads(text)
assert "commands" not in report and "path" not in report["source"], report.keys()
assert sys.argv[2] not in text and "/tmp/" not in text and "-filter_complex" not in text
PY

# Played back from S3 over HTTP.
node "$here/../player/play.mjs" --url "$s3/outputs/${prefix%/}" --renditions 5 --switch --seconds 3
echo "e2e: passed"
