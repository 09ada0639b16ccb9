// From a probed source to the renditions worth encoding.
//
// The ProfileFactory knows the named video profiles (240p ... 2160p) and their
// bit rates; the LadderPlanner fits them to one source: never larger than the
// source, never faster than its frame rate, aspect ratio kept, dimensions even,
// in the orientation the viewer sees (portrait sources get portrait renditions).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "media/media_info.hpp"
#include "util/error.hpp"

namespace st {

struct VideoProfile {
  std::string name;   // "1080p"
  int long_side = 0;  // the bounding box in landscape: 1920x1080
  int short_side = 0;
  int bitrate_kbps = 0;  // for frame rates up to 30; see LadderPlanner for faster sources
  double max_frame_rate = 0;
};

class ProfileFactory {
 public:
  // The standard ladder, largest first: 2160p, 1440p (4K and QHD), 1080p, 720p
  // (HD), 480p, 360p, 240p (SD).
  static const std::vector<VideoProfile>& standard();
  static std::optional<VideoProfile> find(std::string_view name);
  // "2160p, 1440p, ..." for messages.
  static std::string names();
};

struct VideoRendition {
  std::string name;  // the profile's name; also the folder of its segments
  int width = 0;
  int height = 0;
  Rational frame_rate;
  int bitrate_kbps = 0;  // the encoder's target (ABR), or the expected rate (CRF)
  int maxrate_kbps = 0;  // VBV cap: bounds the peak that players must budget for
  int bufsize_kbits = 0;
  // > 0: constant quality at this CRF within the VBV cap (the per-title
  // ladder's choice); 0: ABR at bitrate_kbps.
  int crf = 0;
  // Colour as encoded and signalled (ffmpeg's names): BT.709, or BT.601 for
  // SD renditions of a BT.601 source. `from_bt601`: the scaler converts the
  // matrix (an HD-sized rendition of a BT.601 source).
  std::string color_primaries = "bt709";
  std::string color_transfer = "bt709";
  std::string color_matrix = "bt709";
  bool from_bt601 = false;
  // H.264 High 8-bit ("h264"), or HEVC Main 10 ("hevc") for the HDR ladder,
  // which keeps the source's PQ or HLG and BT.2020.
  std::string codec = "h264";
  [[nodiscard]] bool is_hdr() const { return codec == "hevc"; }
};

// One audio track of the output. Every source track gets a stereo rendition;
// a surround track gets a 5.1 rendition beside it.
struct AudioRendition {
  std::string name;      // unique; also the folder: "aac-stereo-en", "aac-5.1-en", "aac-stereo-en-commentary"
  int source_index = 0;  // the stream in the container
  std::string language;  // BCP 47; "und" when the source does not say
  std::string label;     // the player's menu: "English 5.1", "French (commentary)"
  AudioRole role = AudioRole::kMain;
  bool is_default = false;    // the one a player starts with: the source's default track's stereo rendition
  std::string codec = "aac";  // ffmpeg's encoder
  int channels = 2;
  int sample_rate = 48000;
  int bitrate_kbps = 128;
};

// One text track of the output, from a text subtitle stream of the source.
struct SubtitleRendition {
  std::string name;  // unique; also the folder: "en", "en-forced", "en-sdh", "fr-2"
  int source_index = 0;
  int sidecar = -1;      // >= 0: made from the job's sidecar file of that index, not by the encode
  std::string language;  // BCP 47; "und" when the source does not say
  std::string label;     // "English", "English (forced)", "English (SDH)"
  bool caption = false;  // for the hearing impaired (DASH Role "caption")
  bool forced = false;
  bool is_default = false;
};

// Tracks beyond these are left out (and reported): manifests and player menus
// stay usable, and a hostile source cannot multiply the work.
inline constexpr std::size_t kMaxSubtitleTracks = 32;

// A source stream the ladder leaves out, and why (image subtitles, too many
// tracks), or a sidecar file that could not be used (`sidecar` names it).
struct SkippedStream {
  int index = 0;        // the source stream's; -1 for a sidecar
  std::string sidecar;  // the sidecar's key (or file name), empty for a source stream
  std::string codec;
  std::string language;
  std::string reason;
};

// Trick-play thumbnails: one small frame every `interval_seconds`, tiled
// columns x rows into JPEG sprite sheets.
struct SpriteOptions {
  bool enabled = true;
  double interval_seconds = 2;
  int columns = 5;
  int rows = 5;
  int tile_width = 160;  // the long side for portrait sources
};

struct SpriteLayout {
  double interval_seconds = 0;
  int columns = 0;
  int rows = 0;
  int tile_width = 0;
  int tile_height = 0;
  [[nodiscard]] int tiles_per_sheet() const { return columns * rows; }
  [[nodiscard]] double sheet_seconds() const { return interval_seconds * tiles_per_sheet(); }
};

struct Ladder {
  Rational frame_rate;  // the constant rate the source is normalised to before scaling
  bool deinterlace = false;
  // "smpte2084" (PQ) or "arib-std-b67" (HLG) when the source is HDR and is
  // tone-mapped to SDR BT.709 once, before the split; empty otherwise.
  std::string tone_map_from;
  std::vector<VideoRendition> video;  // largest first; SDR (tone-mapped when the source is HDR)
  // The HDR ladder in HEVC Main 10 beside it, largest first: only for an HDR
  // source, only where asked (LadderOptions::hdr_ladder), only HD-sized rungs.
  std::vector<VideoRendition> hdr_video;
  std::vector<AudioRendition> audio;  // in source order, stereo before surround; empty when silent
  std::vector<SubtitleRendition> subtitles;
  std::vector<SkippedStream> skipped;
  std::optional<SpriteLayout> sprites;  // none when switched off
  std::vector<std::string> notes;       // profiles skipped, and why
};

// The fixed ladder's rates, or the per-title ladder's: each rung's rate fitted
// to the video by an analysis step (pipeline/title_analysis.hpp).
enum class LadderMode { kFixed, kPerTitle };
std::string_view to_string(LadderMode mode);  // "fixed", "per-title"
std::optional<LadderMode> ladder_mode_from_string(std::string_view text);

struct LadderOptions {
  std::vector<std::string> renditions;  // profile names to keep; empty keeps every one that fits
  SpriteOptions sprites;
  bool hdr_ladder = false;  // an HDR source also gets HEVC Main 10 renditions that keep its HDR
};

// HEVC needs about this share of H.264's bit rate for the same picture; the
// HDR rungs (10-bit, a wider range) spend it at that.
inline constexpr double kHevcBitrateShare = 0.75;

class LadderPlanner {
 public:
  explicit LadderPlanner(LadderOptions options) : options_(std::move(options)) {}

  // kUsage for unknown profile names; kInvalidInput when nothing requested fits.
  // `sidecars`: the job's usable sidecar subtitle files, after the source's own tracks.
  Result<Ladder> plan(const MediaInfo& source, const std::vector<SubtitleStreamInfo>& sidecars = {}) const;

 private:
  LadderOptions options_;
};

// The standard frame rate within 0.5% of `measured` (23.976, 25, 29.97, ...), else `measured` rounded.
Rational normalise_frame_rate(Rational measured);

// The filter chain that tone-maps an HDR picture (`transfer`: "smpte2084" or
// "arib-std-b67") to SDR BT.709 in limited range, 8-bit 4:2:0.
std::string sdr_tone_map_filter(std::string_view transfer);

}  // namespace st
