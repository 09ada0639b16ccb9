// The manifest model: what HLS and DASH describe, independent of either format.
//
// A Presentation is built from the segments on disk (see Packager) and is the
// only input of the manifest writers, so both manifests always agree. Tracks are
// kinds of media that a later feature extends (subtitles, encrypted tracks with
// their protection systems) without touching the writers of the others.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "drm/content_keys.hpp"
#include "drm/drm_policy.hpp"
#include "media/media_info.hpp"
#include "media/rational.hpp"
#include "packaging/output_names.hpp"

namespace st {

struct MediaSegment {
  std::string file;            // relative to the track's folder, e.g. "seg-00001.m4s"
  std::uint64_t start = 0;     // decode time in the track's timescale
  std::uint64_t duration = 0;  // in the track's timescale
  std::uint64_t size_bytes = 0;
  // Video: the segment's keyframe as a byte range from its 'moof' (HLS I-frame
  // playlists); 0 bytes when unknown.
  std::uint64_t keyframe_offset = 0;
  std::uint64_t keyframe_bytes = 0;
};

// Measured, not targeted: players budget bandwidth from these.
struct BitRates {
  std::uint64_t average_bps = 0;         // all segment bytes over the track's duration
  std::uint64_t peak_bps = 0;            // RFC 8216 4.3.4.2 peak segment bit rate
  std::uint64_t dash_bandwidth_bps = 0;  // ISO/IEC 23009-1 5.3.5.2 @bandwidth for the MPD's minBufferTime
};

enum class TrackKind { kVideo, kAudio };

// A PSSH box as the init segment carries it: manifests repeat it whole
// (DASH's cenc:pssh, HLS's Widevine data URI) or its data (PlayReady's PRO).
struct ProtectionHeader {
  DrmSystem system = DrmSystem::kWidevine;
  std::vector<std::uint8_t> box;
  std::vector<std::uint8_t> data;
};

// `uri_template` with each "{kid}" replaced by the key ID in hex.
std::string with_key_id(std::string_view uri_template, const KeyId& kid);

// How an encrypted track is protected, as read back from its init segment.
struct TrackProtection {
  ProtectionScheme scheme = ProtectionScheme::kCbcs;
  KeyId kid;  // 'tenc' default_KID
  TrackType key_type = TrackType::kVideo;
  std::vector<DrmSystem> systems;
  std::vector<ProtectionHeader> headers;  // the init segment's PSSH boxes of `systems`

  [[nodiscard]] const ProtectionHeader* header_for(DrmSystem system) const;
};

// Where players get licences and keys: configuration, never per content.
struct ProtectionSignalling {
  std::string clearkey_license_url;  // Clear Key: the licence server (HLS URI, DASH dashif:laurl); {kid} likewise
  std::string fairplay_key_uri = "skd://{kid}";  // FairPlay: {kid} is the key ID in hex
  std::string aes128_key_uri;                    // AES-128: {kid} likewise; absolute or relative to the playlist
};

struct Track {
  TrackKind kind = TrackKind::kVideo;
  std::string id;      // unique in the presentation; also the rendition name
  std::string folder;  // relative to the output root, e.g. "video/1080p"
  std::string codecs;  // RFC 6381
  std::uint32_t timescale = 0;
  std::string init_file = std::string(kInitSegmentFile);
  std::string playlist_file = std::string(kMediaPlaylistFile);
  std::string iframe_playlist_file;  // video with every keyframe located; empty otherwise
  std::vector<MediaSegment> segments;
  BitRates bit_rates;
  std::uint64_t target_bps = 0;  // what the encoder was asked for
  // When the first sample is shown, in seconds; audio is moved later by
  // `delay_ticks` to start with the picture (see Packager).
  double presentation_start_seconds = 0;
  std::uint64_t delay_ticks = 0;
  std::optional<TrackProtection> protection;  // none: in the clear

  // Video
  int width = 0;
  int height = 0;
  Rational frame_rate;
  // HLS's VIDEO-RANGE: "SDR", or "PQ" / "HLG" for the HDR ladder (BT.2020,
  // signalled in DASH as CICP code points).
  std::string video_range = "SDR";
  [[nodiscard]] bool is_hdr() const { return video_range != "SDR"; }

  // Audio
  int channels = 0;
  int sample_rate = 0;
  std::string language;  // BCP 47; "und" when unknown
  std::string label;     // human-readable name for the player's menu
  AudioRole role = AudioRole::kMain;
  bool is_default = false;

  [[nodiscard]] double seconds(std::uint64_t ticks) const {
    return timescale > 0 ? static_cast<double>(ticks) / timescale : 0.0;
  }
  [[nodiscard]] double duration_seconds() const;
  [[nodiscard]] std::uint64_t total_segment_bytes() const;
};

// A WebVTT text track: whole in `vtt_file` (DASH) and cut into segments on
// the video's grid (HLS), both in `folder`.
struct TextTrack {
  std::string id;      // also the folder name under subtitles/
  std::string folder;  // "subtitles/en"
  std::string language;
  std::string label;
  bool caption = false;
  bool forced = false;
  bool is_default = false;
  std::string vtt_file = "subtitles.vtt";
  std::string playlist_file = std::string(kMediaPlaylistFile);
  struct Segment {
    std::string file;  // "seg-00001.vtt"
    double start = 0;  // seconds
    double duration = 0;
  };
  std::vector<Segment> segments;
  std::size_t cues = 0;
  std::uint64_t bytes = 0;  // of vtt_file
};

// Trick-play thumbnails: JPEG sprite sheets of `columns` x `rows` tiles, one
// tile every `interval_seconds`, and a WebVTT track that points into them.
struct SpriteSheets {
  double interval_seconds = 0;
  int columns = 0;
  int rows = 0;
  int tile_width = 0;
  int tile_height = 0;
  std::vector<std::string> files;  // relative to the output root, in order
  int thumbnails = 0;              // tiles showing a frame (the last sheet may be padded)
  std::uint64_t bytes = 0;
  std::string track_file;  // the WebVTT thumbnail track, relative to the output root

  [[nodiscard]] double sheet_seconds() const { return interval_seconds * columns * rows; }
};

struct Presentation {
  double duration_seconds = 0;
  double segment_seconds = 0;  // the target segment duration
  std::vector<Track> video;    // largest first
  std::vector<Track> audio;
  std::vector<TextTrack> subtitles;
  std::optional<SpriteSheets> sprites;
  std::vector<std::string> notes;   // what was left out while packaging, and why
  ProtectionSignalling signalling;  // used by tracks with `protection`
  // HLS's whole-segment AES-128 (no DRM system): every video and audio
  // segment encrypted with its track's key, the DASH manifest not written.
  bool aes128 = false;

  // DASH @minBufferTime; also the buffer the DASH bandwidth is computed for.
  [[nodiscard]] double min_buffer_seconds() const { return 2 * segment_seconds; }
};

}  // namespace st
