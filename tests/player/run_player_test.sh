#!/usr/bin/env bash
# Transcodes a generated 12-second 1080p clip and plays the result in hls.js,
# dash.js and Shaka Player (HLS and DASH), switching to the lowest rendition.
set -euo pipefail
binary=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$work"
source="$work/source.mp4"
if [ ! -s "$source" ]; then
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=1920x1080:rate=30" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
    -t 12 -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest "$work/source.tmp.mp4"
  mv "$work/source.tmp.mp4" "$source"
fi
rm -rf "$work/out"
"$binary" transcode "$source" -o "$work/out" --segment-duration 2 --preset veryfast --json > "$work/transcode.log"
node "$here/play.mjs" "$work/out" --renditions 5 --switch --seconds 3
