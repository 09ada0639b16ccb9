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
# shellcheck source=servers.sh
source "$here/servers.sh"

# The master: 12 s of 1080p with audio, uploaded the way Video Management would.
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1920x1080:rate=30" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 12 -c:v libx264 -preset ultrafast -pix_fmt yuv420p \
  -c:a aac -shortest "$work/master.mp4"
aws s3 cp "$work/master.mp4" s3://uploads/acme/e2e-1/master.mp4 > /dev/null

ST_DATABASE__URL=$database_url ST_KAFKA__BOOTSTRAP_SERVERS=$bootstrap \
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
play --url "$s3/outputs/${prefix%/}" --renditions 5 --switch --seconds 3
echo "e2e: passed"
