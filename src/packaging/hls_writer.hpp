// HLS playlists (RFC 8216, version 7) for a Presentation of CMAF segments.
//
// The multivariant playlist lists one variant per video track and audio group
// (audio tracks are grouped by codec: AAC stereo and 5.1 share one); media
// playlists point at the shared fMP4 segments through EXT-X-MAP.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "packaging/presentation.hpp"

namespace st {

// EXT-X-TARGETDURATION: every segment duration rounded to the nearest integer is
// at most this (RFC 8216 4.3.3.1).
int hls_target_duration(const Track& track);

// With `track.protection`, the EXT-X-KEY tags of its DRM systems (or AES-128) follow the map.
std::string write_hls_media_playlist(const Track& track, const ProtectionSignalling& signalling = {});

// A subtitle track's media playlist: its WebVTT segments, no EXT-X-MAP.
std::string write_hls_text_playlist(const TextTrack& track);

// A video track's I-frame playlist (RFC 8216 4.3.3.6): each segment's keyframe
// as a byte range of the segment, from its 'moof' to the end of the sample.
std::string write_hls_iframe_playlist(const Track& track, const ProtectionSignalling& signalling = {});

// One `tag` line (EXT-X-KEY or EXT-X-SESSION-KEY) per DRM system of an
// encrypted track: Widevine with its PSSH, PlayReady with its PlayReady
// Object, FairPlay with its skd:// URI, Clear Key with its licence server.
std::string hls_key_tags(const TrackProtection& protection, const ProtectionSignalling& signalling,
                         std::string_view tag);

// Bits per second of an I-frame playlist: its largest keyframe over its
// segment's duration, and all keyframe bytes over the track's duration.
BitRates iframe_bit_rates(const Track& track);

// The audio tracks of one codec: one GROUP-ID of EXT-X-MEDIA.
struct HlsAudioGroup {
  std::string id;  // "audio-mp4a.40.2"
  std::string codecs;
  std::vector<const Track*> tracks;  // into the Presentation
  std::uint64_t peak_bps = 0;        // the largest of the group's tracks
  std::uint64_t average_bps = 0;
};

std::vector<HlsAudioGroup> hls_audio_groups(const Presentation& presentation);

// `master.m3u8`. Variant URIs are "<folder>/<playlist_file>".
std::string write_hls_multivariant_playlist(const Presentation& presentation);

}  // namespace st
