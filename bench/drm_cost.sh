#!/usr/bin/env bash
# What does encryption cost a transcode?
#
#   bench/drm_cost.sh [RUNS] [SECONDS]
#
# A generated 1080p30 master with AAC, SECONDS long (default 30), transcoded
# (a) in the clear, (b) with cbcs and (c) with cenc (static keys, Widevine,
# PlayReady and Clear Key signalled, through Shaka Packager), in turn, RUNS
# times (default 1). Prints the median wall times, b/a and c/a, and how much of
# (b) the packager took (the report's "encrypt" commands run inside "package").
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=bench/lib.sh
source bench/lib.sh
runs=${1:-1}
seconds=${2:-30}

bench_build test stream-transcoding
binary=$repo/build/release/src/stream-transcoding
packager=$repo/tests/player/node_modules/shaka-packager/bin/packager-linux-x64

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1920x1080:rate=30" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000" -t "$seconds" -c:v libx264 -preset ultrafast -pix_fmt yuv420p \
  -c:a aac "$work/master.mp4"
cat > "$work/keys.json" << 'KEYS'
{"keys": [{"trackType": "VIDEO", "kid": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "key": "1f2e3d4c5b6a79889706a5b4c3d2e1f0"},
          {"trackType": "AUDIO", "kid": "11223344556677889900aabbccddeeff", "key": "99887766554433221100ffeeddccbbaa"}]}
KEYS

declare -a clear cbcs cenc package_clear package_cbcs
for ((i = 0; i < runs; i++)); do
  for kind in clear cbcs cenc; do
    flags=()
    [ "$kind" != clear ] && flags=(--encrypt "$kind" --keys "$work/keys.json" --packager "$packager"
      --drm-systems widevine,playready,clearkey --clearkey-license-url "https://licence.example/{kid}")
    start=$(date +%s.%N)
    "$binary" transcode "$work/master.mp4" -o "$work/out-$kind" --force --json "${flags[@]}" > /dev/null
    end=$(date +%s.%N)
    elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
    package=$(python3 -c 'import json,sys; print(next(s["wall_seconds"] for s in json.load(open(sys.argv[1]))["steps"] if s["name"] == "package"))' "$work/out-$kind/report.json")
    case $kind in
      clear) clear+=("$elapsed"); package_clear+=("$package") ;;
      cbcs) cbcs+=("$elapsed"); package_cbcs+=("$package") ;;
      cenc) cenc+=("$elapsed") ;;
    esac
    echo "run $((i + 1)) $kind: ${elapsed}s (package step ${package}s)"
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
a=$(median "${clear[@]}")
b=$(median "${cbcs[@]}")
c=$(median "${cenc[@]}")
pa=$(median "${package_clear[@]}")
pb=$(median "${package_cbcs[@]}")
awk -v a="$a" -v b="$b" -v c="$c" -v pa="$pa" -v pb="$pb" 'BEGIN {
  printf "median: (a) clear %.2f s, (b) cbcs %.2f s, (c) cenc %.2f s; b/a %.3f, c/a %.3f; package step %.2f s -> %.2f s\n",
    a, b, c, b / a, c / a, pa, pb }'
