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

# Content protection, played with W3C Clear Key (chromium's own key system):
# cbcs with static keys (one per resolution and one for audio, so that the
# players switch across keys) and cenc with keys from the SPEKE test key
# server, in every player with every rendition; the same outputs with wrong
# keys must not play (proving they are encrypted); AES-128 HLS in hls.js and
# Shaka. The licence server and the AES-128 key URI are play.mjs's.
packager="$here/node_modules/shaka-packager/bin/packager-linux-x64"
drm_source="$work/source-720p-6s.mp4"
if [ ! -s "$drm_source" ]; then
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1280x720:rate=30" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 6 -c:v libx264 -preset ultrafast -pix_fmt yuv420p \
    -c:a aac "$work/source-720p-6s.tmp.mp4"
  mv "$work/source-720p-6s.tmp.mp4" "$drm_source"
fi
sd_kid=6c1e7a5fa0b14d7e9e0f2a1b3c4d5e6f sd_key=a1b2c3d4e5f60718293a4b5c6d7e8f90
hd_kid=0f1e2d3c4b5a69788796a5b4c3d2e1f0 hd_key=1f2e3d4c5b6a79889706a5b4c3d2e1f0
audio_kid=11223344556677889900aabbccddeeff audio_key=99887766554433221100ffeeddccbbaa
cat > "$work/keys.json" << KEYS
{"keys": [{"trackType": "SD", "kid": "$sd_kid", "key": "$sd_key"},
          {"trackType": "HD", "kid": "$hd_kid", "key": "$hd_key"},
          {"trackType": "AUDIO", "kid": "$audio_kid", "key": "$audio_key"}]}
KEYS
keys="$sd_kid:$sd_key,$hd_kid:$hd_key,$audio_kid:$audio_key"
wrong="$sd_kid:00000000000000000000000000000001,$hd_kid:00000000000000000000000000000002,$audio_kid:00000000000000000000000000000003"

rm -rf "$work/out-cbcs"
"$binary" transcode "$drm_source" -o "$work/out-cbcs" --segment-duration 2 --preset ultrafast --json \
  --encrypt cbcs --drm-systems widevine,playready,fairplay,clearkey --key-per-resolution --keys "$work/keys.json" \
  --clearkey-license-url '/license?kid={kid}' --packager "$packager" > "$work/transcode-cbcs.log"
node "$here/play.mjs" "$work/out-cbcs" --renditions 4 --switch --seconds 2 --clearkeys "$keys"
node "$here/play.mjs" "$work/out-cbcs" --expect-undecodable --clearkeys "$wrong"

ledger="$work/speke-ledger.jsonl"
rm -f "$ledger" "$work/speke.port"
python3 "$here/../fakes/speke_server.py" --ledger "$ledger" > "$work/speke.port" &
speke=$!
trap 'kill $speke 2> /dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$work/speke.port" ] && break; sleep 0.1; done
rm -rf "$work/out-cenc"
"$binary" transcode "$drm_source" -o "$work/out-cenc" --segment-duration 2 --preset ultrafast --json \
  --encrypt cenc --drm-systems widevine,playready,clearkey --clearkey-license-url '/license?kid={kid}' \
  --speke-url "http://127.0.0.1:$(cut -d' ' -f2 "$work/speke.port")/speke/v2.0/copyProtection" \
  --packager "$packager" > "$work/transcode-cenc.log"
issued=$(node -e 'const fs = require("fs");
  console.log(fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l)).map((k) => `${k.kid}:${k.key}`).join(","))' "$ledger")
node "$here/play.mjs" "$work/out-cenc" --renditions 4 --switch --seconds 2 --clearkeys "$issued"
node "$here/play.mjs" "$work/out-cenc" --expect-undecodable --clearkeys "$(echo "$issued" | sed -E 's/:[0-9a-f]{32}/:0123456789abcdef0123456789abcdef/g')"

rm -rf "$work/out-aes128"
"$binary" transcode "$drm_source" -o "$work/out-aes128" --segment-duration 2 --preset ultrafast --json \
  --encrypt aes-128 --keys "$work/keys.json" --key-per-resolution --aes128-key-uri '/keys/{kid}' \
  > "$work/transcode-aes128.log"
node "$here/play.mjs" "$work/out-aes128" --players hls,shaka-hls --renditions 4 --switch --seconds 2 --clearkeys "$keys"
node "$here/play.mjs" "$work/out-aes128" --players hls,shaka-hls --expect-undecodable --clearkeys "$wrong"
