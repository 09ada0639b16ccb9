#!/usr/bin/env bash
# Does the per-title ladder spend fewer bits for the same pictures?
#
#   bench/per_title.sh [SECONDS]
#
# Generates three 1080p30 masters (SECONDS long, default 10) from ffmpeg's own
# sources, as nearly lossless H.264:
#   static        a lecture's slides: two still pictures
#   talking-head  a still, blurred background; a detailed head-sized region
#                 that sways, with a small moving "mouth"
#   high-motion   a full-frame zoom into fine detail, panned, with sensor noise
# transcodes each with --ladder fixed and --ladder per-title, with quality
# windows that cover the whole video, and prints per rung the bits, PSNR and
# SSIM of both ladders, the totals, and the issue's goals: on static and
# talking-head, at least 20% fewer bits with every rung within 0.2 dB of PSNR
# and 0.002 of SSIM; on high-motion, better quality for no more bits.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=bench/lib.sh
source bench/lib.sh
seconds=${1:-10}

bench_build build stream-transcoding
binary=$repo/build/release/src/stream-transcoding

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
master() {  # NAME FILTER_INPUTS... -- FILTER
  local name=$1
  shift
  ffmpeg -hide_banner -loglevel error -y "$@" -map "[v]" -t "$seconds" \
    -c:v libx264 -preset veryfast -crf 12 -g 60 -pix_fmt yuv420p "$work/$name.mp4"
}
half=$(awk "BEGIN {print $seconds / 2}")
master static \
  -f lavfi -i "mandelbrot=s=1920x1080:rate=30:start_scale=2:end_scale=2" -f lavfi -i "testsrc=s=1920x1080:rate=30" \
  -filter_complex "[0:v]trim=end_frame=1,loop=loop=-1:size=1,setpts=N/30/TB,trim=duration=${half}[a];[1:v]trim=end_frame=1,loop=loop=-1:size=1,setpts=N/30/TB,trim=duration=${half}[b];[a][b]concat=n=2,format=yuv420p[v]"
master talking-head \
  -f lavfi -i "mandelbrot=s=1920x1080:rate=30:start_scale=1.5:end_scale=1.5" \
  -f lavfi -i "mandelbrot=s=640x760:rate=30:start_x=-0.743643887037151:start_y=0.13182590420533:start_scale=0.02:end_scale=0.02" \
  -f lavfi -i "testsrc2=s=200x80:rate=30" \
  -filter_complex "[0:v]trim=end_frame=1,loop=loop=-1:size=1,setpts=N/30/TB,boxblur=8[bg];[1:v]trim=end_frame=1,loop=loop=-1:size=1,setpts=N/30/TB[still];[still][2:v]overlay=x=220:y=520:shortest=1[head];[bg][head]overlay=x='640+40*sin(t)':y='320+10*sin(1.7*t)',format=yuv420p,trim=duration=${seconds}[v]"
master high-motion \
  -f lavfi -i "mandelbrot=s=2100x1200:rate=30:start_x=-0.743643887037151:start_y=0.13182590420533:start_scale=0.3:end_scale=0.001:end_pts=$((seconds * 30))" \
  -filter_complex "[0:v]crop=1920:1080:'90+80*sin(2*t)':'60+50*cos(3*t)',noise=alls=2:allf=t,format=yuv420p,trim=duration=${seconds}[v]"

# Quality windows of a whole segment each, as many as cover the video.
segment=4
windows=$(( (seconds + segment - 1) / segment ))
for source in static talking-head high-motion; do
  for ladder in fixed per-title; do
    start=$(date +%s.%N)
    "$binary" transcode "$work/$source.mp4" -o "$work/$source-$ladder" --ladder "$ladder" \
      --segment-duration "$segment" --quality-windows "$windows" --quality-window-seconds "$segment" > /dev/null
    end=$(date +%s.%N)
    echo "$source $ladder $(awk "BEGIN {print $end - $start}")" >> "$work/times"
  done
done
python3 "$repo/bench/per_title.py" "$work"
