// How close each rendition is to its source: PSNR and SSIM, measured with
// ffmpeg's own `psnr` and `ssim` filters (Debian's ffmpeg has no libvmaf).
//
// Measuring every frame would cost about as much as the encode, so a few
// windows of the source are sampled: spread over the video, and always the
// most complex one (the segment on which the top rendition spent the most
// bits), where a starved rung shows first. Each window starts on a segment
// boundary, so a rendition's window is its init segment plus one media
// segment, and one ffmpeg per window decodes the source once for every
// rendition. Each rendition is scaled back to the source's picture (after the
// encode's own normalisation: deinterlacing, frame rate, tone mapping) and
// compared there, so a 240p rung's scores say what a viewer loses, not how
// well 240 lines were coded.
#pragma once

#include <filesystem>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "media/media_info.hpp"
#include "media/quality_scores.hpp"
#include "pipeline/encoder.hpp"
#include "pipeline/ladder.hpp"
#include "util/error.hpp"

namespace st {

// The defaults cost about 14% of the encode's CPU time for a 30-second
// 1080p source (docs/performance.md), less for longer ones.
struct QualityOptions {
  bool enabled = true;
  int windows = 3;              // sampled windows at least, the most complex among them
  double window_seconds = 1.0;  // each; at most a segment
  // A longer video gets a window per this many seconds, up to kMaxQualityWindows.
  double seconds_per_window = 60;
  // Each window's ffmpeg: the encode's memory and file-size limits (set by
  // the pipeline); the wall time a window may take.
  ProcessLimits limits{.wall_time = std::chrono::minutes(10)};
};

inline constexpr int kMaxQualityWindows = 100;

struct QualityWindow {
  double start_seconds = 0;
  double seconds = 0;
  int segment = 0;  // 1-based, as the segment files are numbered
  bool most_complex = false;
};

// `segment_bytes`: the top rendition's segments, in order. Windows start on
// segment boundaries; the most complex segment (most bytes per second) is
// always one of them, the others are spread evenly. Sorted by start. Their
// number: `windows`, or one per `seconds_per_window` of a longer video.
std::vector<QualityWindow> choose_quality_windows(const std::vector<std::uint64_t>& segment_bytes,
                                                  double segment_seconds, double duration_seconds,
                                                  const QualityOptions& options);

// About how many seconds of the source the encode could have encoded in the
// time measuring takes (measured: 1.4 per sampled second for a 5-rung ladder
// of a 1080p source), for the job's ETA.
double expected_quality_cost(const QualityOptions& options, double duration_seconds, double segment_seconds);

struct QualityReport {
  std::vector<QualityWindow> windows;
  std::vector<RenditionQuality> renditions;  // SDR ladder order
  std::vector<std::string> notes;            // what was not measured, and why
};

// report.json's "quality": the windows, each rendition's scores, and notes.
nlohmann::json to_json(const QualityReport& report);

class QualityMeter {
 public:
  explicit QualityMeter(QualityOptions options, std::string ffmpeg = "ffmpeg")
      : options_(options), ffmpeg_(std::move(ffmpeg)) {}

  // Compares the SDR renditions that `command` wrote (still clear, before
  // packaging) with `source`. `commands` receives every ffmpeg run. Only a
  // stop request is an error the caller must honour; any other failure is
  // returned for the caller to note, never to fail a job that encoded.
  Result<QualityReport> measure(const std::filesystem::path& source, const MediaInfo& info, const Ladder& ladder,
                                const EncodeCommand& command, double segment_seconds, const std::stop_token& stop,
                                std::vector<std::vector<std::string>>& commands) const;

 private:
  QualityOptions options_;
  std::string ffmpeg_;
};

}  // namespace st
