#!/usr/bin/env bash
# Transcodes a generated 12-second 1080p clip with three audio tracks (English,
# French 5.1 and an English commentary, each 12 dB quieter than the one before)
# and English and French subtitles (a cue at 2.5 s), adds a Japanese SubRip
# sidecar (a byte order mark, CRLF line ends, a cue at 2.5 s), and plays the result in
# hls.js, dash.js and Shaka Player (HLS and DASH),
# switching to the lowest rendition and from English to French, and asks Shaka
# for thumbnails (DASH thumbnail set, WebVTT sprites) and I-frame streams; then
# an HDR10 source with the HDR ladder (below).
set -euo pipefail
binary=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$work"
source="$work/source-three-audio-subtitles.mp4"
if [ ! -s "$source" ]; then
  printf '1\n00:00:02,500 --> 00:00:04,000\nHello at two and a half seconds\n' > "$work/en.srt"
  printf '1\n00:00:02,500 --> 00:00:04,000\nBonjour\n' > "$work/fr.srt"
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=1920x1080:rate=30" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000,volume=4" \
    -f lavfi -i "sine=frequency=660:sample_rate=48000" \
    -f lavfi -i "sine=frequency=880:sample_rate=48000,volume=0.25" \
    -i "$work/en.srt" -i "$work/fr.srt" \
    -map 0:v -map 1:a -map 2:a -map 3:a -map 4:s -map 5:s -c:s mov_text -t 12 -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -ac:a:1 6 \
    -metadata:s:a:0 language=eng -metadata:s:a:1 language=fre -metadata:s:a:2 language=eng \
    -disposition:a:0 default -disposition:a:1 0 -disposition:a:2 comment \
    -metadata:s:s:0 language=eng -metadata:s:s:1 language=fre "$work/source.tmp.mp4"
  mv "$work/source.tmp.mp4" "$source"
fi
printf '\xef\xbb\xbf1\r\n00:00:02,500 --> 00:00:04,000\r\n\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf\r\n' > "$work/ja.srt"
rm -rf "$work/out"
"$binary" transcode "$source" -o "$work/out" --segment-duration 2 --preset veryfast --json \
  --subtitles "ja=$work/ja.srt" > "$work/transcode.log"
# The cue at 2.5 s is checked in the first language listed: the sidecar's.
node "$here/play.mjs" "$work/out" --renditions 5 --switch --seconds 3 --audio en,fr,commentary --trick-play --text ja,en,fr

# An HDR10 (PQ) source with the HDR ladder beside the SDR one: a player that
# cannot decode HEVC (chromium here cannot) lists and plays the four SDR
# renditions and leaves the HEVC Main 10 one alone, in HLS (its CODECS and
# VIDEO-RANGE) and in DASH (its own set, its transfer an EssentialProperty).
hdr_source="$work/source-hdr10.mp4"
if [ ! -s "$hdr_source" ]; then
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=1280x720:rate=25" -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 6 \
    -vf "zscale=tin=bt709:min=bt709:pin=bt709:t=smpte2084:m=bt2020nc:p=bt2020:npl=100,format=yuv420p10le" \
    -c:v libx265 -preset ultrafast -x265-params "log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc" \
    -c:a aac "$work/source-hdr10.tmp.mp4"
  mv "$work/source-hdr10.tmp.mp4" "$hdr_source"
fi
rm -rf "$work/out-hdr"
"$binary" transcode "$hdr_source" -o "$work/out-hdr" --segment-duration 2 --preset ultrafast --hdr-ladder --json \
  > "$work/transcode-hdr.log"
grep -q 'VIDEO-RANGE=PQ' "$work/out-hdr/master.m3u8"
node "$here/play.mjs" "$work/out-hdr" --renditions 4 --seconds 2
