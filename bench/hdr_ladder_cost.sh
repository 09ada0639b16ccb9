#!/usr/bin/env bash
# What does the HDR ladder cost a transcode?
#
#   bench/hdr_ladder_cost.sh [RUNS] [SECONDS]
#
# A generated HDR10 master (1080p25 HEVC Main 10, PQ, BT.2020, with AAC),
# SECONDS long (default 30), transcoded (a) as usual, tone-mapped to the SDR
# ladder, and (b) with --hdr-ladder (the same SDR ladder, plus HEVC Main 10
# 1080p-hdr and 720p-hdr), in turn, RUNS times (default 1). Prints the median
# wall times and b/a.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=bench/lib.sh
source bench/lib.sh
runs=${1:-1}
seconds=${2:-30}

bench_build build stream-transcoding
binary=$repo/build/release/src/stream-transcoding

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=1920x1080:rate=25" -f lavfi -i "sine=frequency=440:sample_rate=48000" -t "$seconds" \
  -vf "zscale=tin=bt709:min=bt709:pin=bt709:t=smpte2084:m=bt2020nc:p=bt2020:npl=100,format=yuv420p10le" \
  -c:v libx265 -preset ultrafast -x265-params "log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc" \
  -c:a aac "$work/hdr10.mp4"

declare -a sdr both
for ((i = 0; i < runs; i++)); do
  for kind in sdr both; do
    flags=()
    [ "$kind" = both ] && flags=(--hdr-ladder)
    start=$(date +%s.%N)
    "$binary" transcode "$work/hdr10.mp4" -o "$work/out-$kind" --force --json "${flags[@]}" > /dev/null
    end=$(date +%s.%N)
    elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
    if [ "$kind" = sdr ]; then sdr+=("$elapsed"); else both+=("$elapsed"); fi
    echo "run $((i + 1)) $kind: ${elapsed}s"
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
a=$(median "${sdr[@]}")
b=$(median "${both[@]}")
awk -v a="$a" -v b="$b" 'BEGIN { printf "median: (a) SDR ladder %.2f s, (b) with the HDR ladder %.2f s; b/a %.3f\n", a, b, b / a }'
