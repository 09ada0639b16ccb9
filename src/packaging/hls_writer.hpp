// HLS playlists (RFC 8216, version 7) for a Presentation of CMAF segments.
//
// The multivariant playlist lists one variant per video track, each referring to
// one audio group that holds the audio tracks; media playlists point at the
// shared fMP4 segments through EXT-X-MAP.
#pragma once

#include <string>

#include "packaging/presentation.hpp"

namespace st {

// EXT-X-TARGETDURATION: every segment duration rounded to the nearest integer is
// at most this (RFC 8216 4.3.3.1).
int hls_target_duration(const Track& track);

std::string write_hls_media_playlist(const Track& track);

// `master.m3u8`. Variant URIs are "<folder>/<playlist_file>".
std::string write_hls_multivariant_playlist(const Presentation& presentation);

}  // namespace st
