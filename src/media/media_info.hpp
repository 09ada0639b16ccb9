// What the prober learned about a source: the facts every later step plans from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "media/rational.hpp"

namespace st {

struct VideoStreamInfo {
  int index = 0;  // stream index in the container
  std::string codec;
  std::string pixel_format;
  int width = 0;  // coded (storage) size
  int height = 0;
  Rational sample_aspect{1, 1};
  int rotation = 0;  // clockwise display rotation in degrees: 0, 90, 180 or 270
  Rational frame_rate;
  double duration_seconds = 0;  // the stream's own, when the container states it
  bool interlaced = false;
  std::string field_order;  // as ffprobe says: "progressive", "tt", "bb", ...
  // Colour as the stream tags it, in ffmpeg's names; only names from a known
  // set are kept (they reach filter graphs), anything else is empty: untagged.
  std::string color_transfer;   // "bt709", "smpte2084" (PQ), "arib-std-b67" (HLG), "smpte170m", ...
  std::string color_primaries;  // "bt709", "bt2020", "smpte170m", "bt470bg"
  std::string color_matrix;     // "bt709", "bt2020nc", "smpte170m", "bt470bg"

  // PQ or HLG: high dynamic range that an SDR ladder must tone-map.
  [[nodiscard]] bool is_hdr() const { return color_transfer == "smpte2084" || color_transfer == "arib-std-b67"; }
  // BT.601 (525 or 625 lines), or untagged at SD size, where BT.601 is the convention.
  [[nodiscard]] bool is_bt601() const;

  // The size a viewer sees: pixel aspect applied, then rotation.
  [[nodiscard]] int display_width() const;
  [[nodiscard]] int display_height() const;
};

// What an audio track is for, from the source's disposition flags.
enum class AudioRole {
  kMain,
  kCommentary,   // "comment": a director's commentary
  kDescription,  // "visual_impaired" or "descriptions": audio description
};

std::string_view to_string(AudioRole role);

struct AudioStreamInfo {
  int index = 0;
  std::string codec;
  int channels = 0;
  int sample_rate = 0;
  std::string language;     // ISO 639-2 as tagged in the container, or empty
  bool is_default = false;  // the container's "default" disposition
  AudioRole role = AudioRole::kMain;
};

// A subtitle stream: text ones (mov_text, SubRip, ASS/SSA, WebVTT) become
// WebVTT; image ones (PGS, DVB, DVD) cannot and are reported as skipped.
// What a subtitle track is for, as a sidecar's uploader states it (a source
// stream says it through its dispositions instead).
enum class SubtitleKind { kSubtitle, kCaption, kForced };
std::string_view to_string(SubtitleKind kind);
std::optional<SubtitleKind> parse_subtitle_kind(std::string_view text);

struct SubtitleStreamInfo {
  int index = 0;
  int sidecar = -1;      // >= 0: not a source stream but the job's sidecar file of that index
  std::string codec;     // ffprobe's name: "mov_text", "subrip", "hdmv_pgs_subtitle", ...
  std::string language;  // ISO 639-2 as tagged, or empty
  bool is_default = false;
  bool forced = false;            // only the lines a viewer needs (foreign dialogue, signs)
  bool hearing_impaired = false;  // captions: dialogue and sounds

  [[nodiscard]] bool is_text() const;
};

struct MediaInfo {
  std::string format_name;  // ffprobe's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  double duration_seconds = 0;
  std::uint64_t size_bytes = 0;
  std::int64_t bit_rate = 0;
  VideoStreamInfo video;
  std::vector<AudioStreamInfo> audio;  // in container order
  std::vector<SubtitleStreamInfo> subtitles;

  [[nodiscard]] bool has_audio() const { return !audio.empty(); }
};

}  // namespace st
