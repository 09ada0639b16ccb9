#!/usr/bin/env bash
# What does stream-transcoding cost on top of the ffmpeg it runs, and what does
# its single decode save over one ffmpeg per rendition?
#
#   bench/transcode_overhead.sh [RUNS] [SECONDS]
#
# On one generated 1080p H.264 master (SECONDS long, default 30) it runs, RUNS
# times each (default 3), alternating:
#   (a) stream-transcoding transcode (probe, encode, package, poster, report)
#   (b) the exact ffmpeg encode command from (a)'s report.json, alone
#   (c) a naive ladder: one ffmpeg per rendition, each decoding the source
# and prints median wall times and the ratios a/b and c/a.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
runs=${1:-3}
seconds=${2:-30}

scripts/setup.sh build > /dev/null
cmake --preset release > /dev/null
cmake --build --preset release --target stream-transcoding > /dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
master=$work/master-1080p.mp4
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=1920x1080:rate=30" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
  -t "$seconds" -c:v libx264 -preset veryfast -b:v 8M -pix_fmt yuv420p -c:a aac -shortest "$master"

python3 bench/transcode_overhead.py "$repo/build/release/src/stream-transcoding" "$master" "$work" "$runs"
