// The per-title ladder: bits where this video needs them.
//
// A fixed ladder spends 5 Mbit/s on a 1080p lecture slide and on a football
// match alike. Before the encode, a few windows of the source are encoded at
// every rung's size at one constant quality (x264's CRF) and compared with the
// source at the source's size, next to the same rungs merely scaled down and
// back up. That tells, per rung, what its size alone loses (a 720p picture of
// a detailed 1080p source cannot be better than its downscale) and what the
// coding adds. The first pass picks, per rung, the CRF that keeps the coding's
// loss small beside what the size loses (at the source's own size: a
// near-transparent target). A second pass encodes the same windows at that
// CRF, so that the choice rests on measurements, not on a model's
// extrapolation: a rung that misses its target gets a lower CRF (from the two
// points' slope); one that needs more bits than its ceiling is encoded at the
// ceiling in ABR, as the fixed ladder does, at a smaller size where that
// measured better; one that would cost nearly as much as the rung above it is
// dropped. Every rate stays within the tenant's floor and ceiling (shares of
// the fixed ladder's).
#pragma once

#include <filesystem>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "media/media_info.hpp"
#include "pipeline/encoder.hpp"
#include "pipeline/ladder.hpp"
#include "util/error.hpp"

namespace st {

struct PerTitleOptions {
  // Sampled windows of the source, spread over it. Each also costs the
  // decoding from the source's keyframe before it: a few 1-second windows
  // cost half of what twice as many half-second ones do.
  int windows = 4;
  double window_seconds = 1.0;  // each
  // A longer video gets a window per this many seconds, up to kMaxAnalysisWindows.
  double seconds_per_window = 120;
  int probe_crf = 23;  // the probe encodes' constant quality
  // Each rung's bit rate stays within these shares of the fixed ladder's.
  double floor = 0.1;
  double ceiling = 1.0;
  // A downscaled rung ends at most this far (PSNR) below what its size can show at best.
  double max_loss_db = 0.1;
  // A rung at the source's own size (nothing lost to scaling) aims at this PSNR.
  double top_psnr_db = 57.0;
  ProcessLimits limits{.wall_time = std::chrono::minutes(10)};
};

// One probe encode of a rung over every window: its bit rate, and its mean
// squared error against the source at the source's size.
struct ProbePoint {
  double kbps = 0;
  double mse = 0;
  [[nodiscard]] bool measured() const { return kbps > 0; }
};

// What the probes found for one SDR rung.
struct RungProbe {
  std::string rendition;
  double scaled_mse = 0;  // the rung's size alone: scaled down and back, not coded
  ProbePoint at_probe_crf;
  // The second pass: the rung at the CRF the first pass chose (0: not
  // probed), or, for a rung that needs more than its ceiling, ABR at the
  // ceiling at its own size and at kSmallerSize of it.
  int candidate_crf = 0;
  ProbePoint at_candidate;
  ProbePoint at_ceiling;
  ProbePoint smaller_at_ceiling;
};

inline constexpr int kMaxAnalysisWindows = 30;

// A rung that needs more bits than its ceiling may be encoded this much smaller in each direction.
inline constexpr double kSmallerSize = 5.0 / 6.0;

struct TitleAnalysis {
  std::vector<double> window_starts;
  double window_seconds = 0;
  int probe_crf = 0;
  std::vector<RungProbe> rungs;  // SDR ladder order
};

// What the fitter chose for one rung of the fixed ladder, and why.
struct RungChoice {
  std::string rendition;
  int fixed_kbps = 0;
  int kbps = 0;  // the expected bit rate (the ABR target when crf is 0)
  int crf = 0;   // 0: ABR at kbps
  int width = 0;
  int height = 0;
  double expected_psnr = 0;
  bool dropped = false;
  std::string reason;
};

struct TitleFit {
  TitleAnalysis analysis;
  std::vector<RungChoice> rungs;
};

// The first pass's conclusion (pure): each rung's candidate CRF, or 0 where
// the rung will need more than its ceiling.
void choose_candidates(TitleAnalysis& analysis, const Ladder& ladder, const PerTitleOptions& options);

// The fixed `ladder`'s SDR rungs refit to both passes' measurements (pure;
// the HDR ladder is kept as it is).
Ladder fit_ladder_to_title(Ladder ladder, const TitleAnalysis& analysis, const PerTitleOptions& options,
                           std::vector<RungChoice>& choices);

// Windows of `window_seconds` spread evenly over the video, at most `count`.
std::vector<double> analysis_window_starts(double duration_seconds, int count, double window_seconds);

// report.json's "per_title".
nlohmann::json to_json(const TitleFit& fit);

class TitleAnalyser {
 public:
  explicit TitleAnalyser(PerTitleOptions options, std::string ffmpeg = "ffmpeg")
      : options_(options), ffmpeg_(std::move(ffmpeg)) {}

  // Probes `ladder`'s SDR rungs with the encode's `preset` and keyframe
  // interval (`segment_seconds`) in two passes, in
  // `scratch` (created, and removed afterwards). `commands` receives every ffmpeg run.
  Result<TitleAnalysis> analyse(const std::filesystem::path& source, const MediaInfo& info, const Ladder& ladder,
                                const std::string& preset, double segment_seconds, const std::filesystem::path& scratch,
                                const std::stop_token& stop, std::vector<std::vector<std::string>>& commands) const;

 private:
  PerTitleOptions options_;
  std::string ffmpeg_;
};

}  // namespace st
