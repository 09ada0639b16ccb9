#!/usr/bin/env bash
# What do more audio tracks cost a transcode?
#
#   bench/audio_tracks_cost.sh [RUNS] [SECONDS]
#
# Three generated 1080p30 H.264 masters, SECONDS long (default 30), identical
# picture: (a) one AAC stereo track; (b) the issue's case: English and French
# stereo tracks and English and French SubRip subtitles; (c) three tracks,
# English stereo, French 5.1 and an English commentary (four audio renditions:
# stereo of each, 5.1 of the French). Runs `stream-transcoding transcode` on
# each, in turn, RUNS times (default 3), and prints the median wall times and
# b/a (goal <= 1.10) and c/a.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=bench/lib.sh
source bench/lib.sh
runs=${1:-3}
seconds=${2:-30}

bench_build build stream-transcoding
binary=$repo/build/release/src/stream-transcoding

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=1920x1080:rate=30" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
  -t "$seconds" -c:v libx264 -preset veryfast -b:v 8M -pix_fmt yuv420p -c:a aac -shortest "$work/one.mp4"
ffmpeg -hide_banner -loglevel error -y -i "$work/one.mp4" \
  -f lavfi -i "sine=frequency=660:sample_rate=48000" -f lavfi -i "sine=frequency=880:sample_rate=48000" \
  -map 0:v -map 0:a -map 1:a -map 2:a -c:v copy -c:a aac -ac:a:1 6 -shortest \
  -metadata:s:a:0 language=eng -metadata:s:a:1 language=fre -metadata:s:a:2 language=eng \
  -disposition:a:0 default -disposition:a:1 0 -disposition:a:2 comment "$work/three.mp4"
awk -v n="$seconds" 'BEGIN { for (i = 0; i < n / 2; i++) printf "%d\n00:00:%02d,000 --> 00:00:%02d,500\nLine %d\n\n", i + 1, 2 * i, 2 * i + 1, i + 1 }' > "$work/en.srt"
sed 's/Line/Ligne/' "$work/en.srt" > "$work/fr.srt"
ffmpeg -hide_banner -loglevel error -y -i "$work/one.mp4" \
  -f lavfi -i "sine=frequency=660:sample_rate=48000" -i "$work/en.srt" -i "$work/fr.srt" \
  -map 0:v -map 0:a -map 1:a -map 2:s -map 3:s -c:v copy -c:a aac -c:s mov_text -t "$seconds" \
  -metadata:s:a:0 language=eng -metadata:s:a:1 language=fre -metadata:s:s:0 language=eng \
  -metadata:s:s:1 language=fre -disposition:a:0 default -disposition:a:1 0 "$work/two.mp4"

for kind in one two three; do
  echo "$kind.mp4: $(ffprobe -v error -show_entries format=duration -of csv=p=0 "$work/$kind.mp4") s"
done
declare -a one two three
for ((i = 0; i < runs; i++)); do
  for kind in one two three; do
    start=$(date +%s.%N)
    "$binary" transcode "$work/$kind.mp4" -o "$work/out-$kind" --force --json > /dev/null
    end=$(date +%s.%N)
    elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
    case $kind in
      one) one+=("$elapsed") ;;
      two) two+=("$elapsed") ;;
      three) three+=("$elapsed") ;;
    esac
    echo "run $((i + 1)) $kind: ${elapsed}s"
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
a=$(median "${one[@]}")
b=$(median "${two[@]}")
c=$(median "${three[@]}")
awk -v a="$a" -v b="$b" -v c="$c" 'BEGIN { printf "median: (a) one track %.2f s, (b) two tracks and two subtitles %.2f s, (c) three tracks %.2f s; b/a %.3f, c/a %.3f\n", a, b, c, b / a, c / a }'
