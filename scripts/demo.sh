#!/usr/bin/env bash
# Builds stream-transcoding and transcodes a video into an HLS + DASH ladder.
#   scripts/demo.sh [VIDEO]    without VIDEO, a 20-second 1080p sample is generated
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

scripts/setup.sh build
cmake --preset release > /dev/null
cmake --build --preset release -j "$(nproc)" --target stream-transcoding

input=${1:-}
if [ -z "$input" ]; then
  mkdir -p samples
  input=samples/sample-1080p.mp4
  if [ ! -s "$input" ]; then
    echo "demo: generating a 20-second 1080p sample with ffmpeg"
    ffmpeg -hide_banner -loglevel error -y \
      -f lavfi -i "testsrc2=size=1920x1080:rate=30" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
      -t 20 -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac -shortest "$input"
  fi
fi

output=out/$(basename "${input%.*}")
build/release/src/stream-transcoding transcode "$input" -o "$output" --force

cat <<TXT

Play it:
  python3 -m http.server 8000 --bind 127.0.0.1 --directory $output
  then open http://127.0.0.1:8000/master.m3u8 in Safari or VLC (HLS),
  or http://127.0.0.1:8000/manifest.mpd in VLC or any DASH player.
  Or play it in hls.js, dash.js and Shaka in chromium, headless:
  scripts/setup.sh && node tests/player/play.mjs $output
TXT
