// The poster image: a representative, not black, frame of the source.
//
// ffmpeg's `thumbnail` filter picks the frame closest to the average histogram of
// a window, which avoids flashes and transition frames; `signalstats` then
// measures it, and windows further into the video are tried while the choice is
// black or flat (fade-ins, title cards). A try decodes only the keyframes of a
// ten-second window (0.2 s for a 1080p master), or two seconds of every frame
// when that window holds no keyframe.
#pragma once

#include <filesystem>
#include <stop_token>
#include <string>
#include <vector>

#include "media/media_info.hpp"
#include "packaging/presentation.hpp"
#include "pipeline/ladder.hpp"
#include "util/error.hpp"
#include "util/process.hpp"

namespace st {

struct PosterOptions {
  int max_width = 1280;
};

struct Poster {
  std::filesystem::path file;
  int width = 0;
  int height = 0;
  double position_seconds = 0;
  double luma_average = 0;                         // 0..255; what made it "not black"
  std::string taken_from = "source";               // or the rendition it fell back to
  std::string note;                                // why it fell back, when it did
  std::vector<std::vector<std::string>> commands;  // every ffmpeg run, for the report
};

// Luma statistics of one frame, as signalstats reports them (8-bit scale).
struct LumaStats {
  double low = 0;   // 10th percentile
  double high = 0;  // 90th percentile
  double average = 0;
  double frame_seconds = 0;  // pts_time of the measured frame, from the start of the read
  // Black, or a flat card of one shade: nothing a viewer would recognise.
  [[nodiscard]] bool is_informative() const { return high >= 40 && high - low >= 12; }
};

// Reads `lavfi.signalstats.*` lines written by the metadata filter.
LumaStats parse_signalstats(std::string_view text);

class PosterExtractor {
 public:
  explicit PosterExtractor(PosterOptions options, std::string ffmpeg = "ffmpeg")
      : options_(options), ffmpeg_(std::move(ffmpeg)) {}

  Result<Poster> extract(const std::filesystem::path& source, const MediaInfo& info,
                         const std::filesystem::path& destination, const std::stop_token& stop) const;

  // The fallback when the source cannot be seeked (a long-GOP transport stream,
  // timestamps that do not start at zero): the first frame (a keyframe) of
  // the encoded rendition's segments at the usual positions. `folder` holds
  // init.mp4 and the segments of `rendition`.
  Result<Poster> extract_from_rendition(const std::filesystem::path& folder, const Track& rendition,
                                        const std::filesystem::path& destination, const std::stop_token& stop) const;

 private:
  PosterOptions options_;
  std::string ffmpeg_;
};

// Trick-play sprite sheets from the keyframes of the smallest rendition: one
// per segment (the encoder puts an IDR on every segment boundary), so only
// keyframes of a small picture are decoded. Made from the encoded rendition
// rather than inside the encode: a tiling branch in the encode's filter graph
// holds its frames for a whole sheet, and ffmpeg 5.1 then stops reporting
// progress until the end.
class SpriteMaker {
 public:
  explicit SpriteMaker(std::string ffmpeg = "ffmpeg") : ffmpeg_(std::move(ffmpeg)) {}

  // Writes thumbnails/sprite-NNNNN.jpg under `root` from the init segment and
  // `segments` of one rendition. The interval becomes a whole number of
  // segments (at least the layout's).
  Result<SpriteSheets> make(const std::filesystem::path& init, const std::vector<std::filesystem::path>& segments,
                            double segment_seconds, SpriteLayout layout, const std::filesystem::path& root,
                            const std::stop_token& stop, std::vector<std::string>& command) const;

 private:
  std::string ffmpeg_;
};

}  // namespace st
