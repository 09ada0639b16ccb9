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
#   (d) the professional open pipeline: the same ladder and x264 settings in
#       one ffmpeg (every rung scaled from the full picture) written to one MP4
#       per rendition, then Shaka Packager for CMAF segments, HLS and DASH
# and prints median wall times, the ratios a/b, c/a and a/d, the per-rung PSNR
# of (a) and (d) against the master, and (e) what the quality scores cost.
# (a) runs with --no-quality, as no peer measures quality.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=bench/lib.sh
source bench/lib.sh
runs=${1:-3}
seconds=${2:-30}

bench_build build stream-transcoding

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
master=$work/master-1080p.mp4
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=1920x1080:rate=30" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
  -t "$seconds" -c:v libx264 -preset veryfast -b:v 8M -pix_fmt yuv420p -c:a aac -shortest "$master"

# Shaka Packager from npm, for this benchmark only.
packager=$repo/.tools/bench/node_modules/shaka-packager/bin/packager-linux-x64
if [[ ! -x $packager ]]; then
  npm install --silent --no-audit --no-fund --prefix "$repo/.tools/bench" shaka-packager@3.4.2 > /dev/null
fi

python3 bench/transcode_overhead.py "$repo/build/release/src/stream-transcoding" "$master" "$work" "$runs" "$packager"
