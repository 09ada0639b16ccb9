#!/usr/bin/env bash
# Content protection through the service, on real servers: `serve` with keys
# from the SPEKE test key server (tests/fakes/speke_server.py), cbcs for
# Widevine, PlayReady and Clear Key, an upload event produced with kcat.
#   1. The key server is down when the first upload arrives: the job is
#      retried (not failed for good) and succeeds once the server is up.
#   2. The VideoTranscoded event names, per rendition and audio track, the key
#      IDs the key server issued and the systems; the init segments in S3
#      carry the same key IDs.
#   3. No key is anywhere: not in the service's log, the database (pg_dump),
#      the Kafka topics, the API's answers or any object in S3.
#   4. The outputs, served from S3, play in every player with the keys.
#   drm_e2e.sh BINARY MOCK_BROKER WORK_DIR      (needs ST_TEST_POSTGRES_ADMIN_URL)
set -euo pipefail
binary=$1
broker_binary=$2
work=$3
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=servers.sh
source "$here/servers.sh"
speke_port=$(free_port)

ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1280x720:rate=30" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 6 -c:v libx264 -preset ultrafast -pix_fmt yuv420p \
  -c:a aac -shortest "$work/master.mp4"
aws s3 cp "$work/master.mp4" s3://uploads/acme/drm-1/master.mp4 > /dev/null

ST_DATABASE__URL=$database_url ST_KAFKA__BOOTSTRAP_SERVERS=$bootstrap \
  ST_KAFKA__GROUP_ID=drm-e2e ST_S3__ENDPOINT=$s3 ST_S3__OUTPUT_BUCKET=outputs ST_S3__SOURCE_BUCKETS=uploads \
  ST_STORAGE__SCRATCH_DIR=$work/scratch ST_TRANSCODE__SEGMENT_SECONDS=2 ST_TRANSCODE__PRESET=ultrafast \
  ST_WORKER__CONCURRENCY=1 ST_WORKER__RETRY_BASE_MS=1000 ST_HTTP__HOST=127.0.0.1 ST_HTTP__PORT=0 \
  ST_LOG__FORMAT=json ST_AUTH__ENABLED=false ST_AUTH__DEVELOPMENT=true \
  ST_DRM__KEY_PROVIDER=speke ST_DRM__SPEKE_URL="http://127.0.0.1:$speke_port/speke/v2.0/copyProtection" \
  ST_DRM__SPEKE_TIMEOUT_MS=2000 ST_DRM__SCHEME=cbcs ST_DRM__SYSTEMS=widevine,playready,clearkey \
  ST_DRM__CLEARKEY_LICENSE_URL='https://licence.example/clearkey?kid={kid}' \
  ST_DRM__PACKAGER="$here/../player/node_modules/shaka-packager/bin/packager-linux-x64" \
  "$binary" serve > "$work/service.log" 2>&1 &
pids+=($!)

size=$(stat -c %s "$work/master.mp4")
checksum=$(sha256sum "$work/master.mp4" | cut -c1-64)
printf '{"videoId":"drm-1","tenantId":"acme","uploadedAt":"2026-12-02T10:00:00Z","source":{"bucket":"uploads","key":"acme/drm-1/master.mp4","sizeBytes":%s,"contentType":"video/mp4","checksum":"sha256:%s"}}\n' \
  "$size" "$checksum" | kcat -P -b "$bootstrap" -t video-service.video-uploaded -k drm-1 -H MessageId=drm-message-1

# 1. The key server is down: the job waits for another attempt.
for _ in $(seq 60); do
  grep -q 'cannot be reached' "$work/service.log" && break
  sleep 0.5
done
grep -q 'cannot be reached' "$work/service.log" || fail "the job never tried the key server"
kcat -C -b "$bootstrap" -t transcoding-service.video-transcoded -o beginning -e -q -f '%s\n' 2> /dev/null \
  | grep -q . && fail "a VideoTranscoded event was published while the key server was down"
python3 "$here/../fakes/speke_server.py" --port "$speke_port" --ledger "$work/ledger.jsonl" \
  --requests "$work/speke-requests.jsonl" > "$work/speke.log" 2>&1 &
pids+=($!)

event=""
for _ in $(seq 120); do
  event=$(kcat -C -b "$bootstrap" -t transcoding-service.video-transcoded -o beginning -e -q -f '%s\n' 2> /dev/null | head -n 1)
  [ -n "$event" ] && break
  sleep 1
done
[ -n "$event" ] || fail "no VideoTranscoded event within 120 s of the key server coming up"
echo "$event" > "$work/event.json"

# 2. Key IDs and systems in the event, as issued, and in the init segments.
prefix=$(python3 - "$work/event.json" "$work/ledger.jsonl" <<'PY'
import json, sys, uuid
event = json.load(open(sys.argv[1]))
assert event["status"] == "succeeded", event
issued = {k["type"]: k for k in map(json.loads, open(sys.argv[2]))}
assert set(issued) == {"VIDEO", "AUDIO"}, issued.keys()
for track, kind in [(r, "VIDEO") for r in event["renditions"]] + [(a, "AUDIO") for a in event["audio"]]:
    e = track["encryption"]
    assert e["scheme"] == "cbcs", e
    assert uuid.UUID(e["keyId"]).hex == issued[kind]["kid"], (e, issued[kind]["kid"])
    assert e["keyType"] == kind and e["systems"] == ["widevine", "playready", "clearkey"], e
    assert "key" not in e
print(event["outputPrefix"])
PY
) || fail "unexpected event: $(cat "$work/event.json")"
aws s3 cp --recursive "s3://outputs/$prefix" "$work/published" > /dev/null
kids=$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["kid"] for l in open(sys.argv[1])))' "$work/ledger.jsonl")
for init in "$work"/published/video/*/init.mp4 "$work"/published/audio/*/init.mp4; do
  found=no
  for kid in $kids; do
    od -An -tx1 -v "$init" | tr -d ' \n' | grep -q "$kid" && found=yes
  done
  [ $found = yes ] || fail "$init carries none of the issued key IDs"
done

# 3. No key anywhere.
job=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["jobId"])' "$work/event.json")
api=$(python3 -c 'import json,sys
for line in open(sys.argv[1]):
    try: entry = json.loads(line)
    except ValueError: continue
    if "listening on" in entry.get("message", ""): print(entry["message"].split()[-1]); break' "$work/service.log")
curl -s "http://$api/v1/jobs/$job" > "$work/api-job.json" || true
pg_dump --data-only "$database_url" > "$work/database.sql"
kcat -C -b "$bootstrap" -t transcoding-service.video-transcoded -o beginning -e -q > "$work/topic-transcoded.txt" 2> /dev/null
kcat -C -b "$bootstrap" -t transcoding-service.transcode-progress -o beginning -e -q > "$work/topic-progress.txt" 2> /dev/null || true
python3 - "$work/ledger.jsonl" "$work/service.log" "$work/database.sql" "$work/topic-transcoded.txt" \
  "$work/topic-progress.txt" "$work/api-job.json" "$work/published" <<'PY' || fail "a content key was found (above)"
import base64, json, os, sys
keys = [bytes.fromhex(json.loads(line)["key"]) for line in open(sys.argv[1])]
kids = [bytes.fromhex(json.loads(line)["kid"]) for line in open(sys.argv[1])]
def spellings(raw):
    b64 = base64.b64encode(raw).decode()
    return [raw.hex().encode(), raw.hex().upper().encode(), b64.rstrip("=").encode(),
            base64.urlsafe_b64encode(raw).decode().rstrip("=").encode(), raw]
files = list(sys.argv[2:-1])
for root, _, names in os.walk(sys.argv[-1]):
    files += [os.path.join(root, n) for n in names]
found = []
for path in files:
    data = open(path, "rb").read()
    found += [f"{path}: key {k.hex()[:6]}..." for k in keys for s in spellings(k) if s in data]
assert not found, "\n".join(found)
# The search finds what is there: the key IDs are in the outputs.
assert any(k in open(f, "rb").read() for f in files for k in kids), "no key ID found either: the search is broken"
print(f"drm e2e: no key in {len(files)} files (log, database, topics, API, S3)")
PY

# 4. Played from S3 with the keys.
clearkeys=$(python3 -c 'import json,sys; print(",".join(k["kid"] + ":" + k["key"] for k in map(json.loads, open(sys.argv[1]))))' "$work/ledger.jsonl")
play --url "$s3/outputs/${prefix%/}" --renditions 4 --switch --seconds 2 --clearkeys "$clearkeys"
echo "drm e2e: passed"
