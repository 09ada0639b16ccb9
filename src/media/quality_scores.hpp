// A rendition's PSNR and SSIM against its source, as the pipeline measures
// them (pipeline/quality.hpp) and as the outcome, the API and the
// VideoTranscoded event carry them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace st {

// Identical pictures have an infinite PSNR; it is reported as this.
inline constexpr double kMaxPsnr = 100.0;

// PSNR in dB of 8-bit pictures from a mean squared error, capped at kMaxPsnr.
double psnr_from_mse(double mse);

struct QualityScores {
  double psnr_y = 0;  // the luma plane's PSNR, dB
  double psnr = 0;    // all planes', weighted by their sizes as ffmpeg does, dB
  double ssim = 0;    // all planes', 0..1
};

struct WindowQuality {
  double start_seconds = 0;
  QualityScores scores;
};

struct RenditionQuality {
  std::string rendition;
  int frames = 0;  // frames compared
  // PSNR from the mean squared error of every compared frame (so that one
  // perfect frame cannot hide a bad one); SSIM the mean of the frames'.
  QualityScores mean;
  QualityScores p5;            // the 5th percentile of the frames' scores
  WindowQuality worst_window;  // the sampled window with the lowest PSNR
};

// One frame's figures, from the `psnr` and `ssim` filters' stats files.
struct FrameQuality {
  double mse = 0;    // all planes, weighted by their sizes
  double mse_y = 0;  // luma
  double ssim = 0;   // all planes
};

// Pairs the lines of a psnr stats file ("n:1 mse_avg:0.95 mse_y:1.07 ...")
// with those of an ssim one ("n:1 Y:0.99 U:0.98 V:0.98 All:0.99 (21.3)") by
// frame number; a frame missing from either, or a malformed line, is left out.
std::vector<FrameQuality> parse_quality_stats(std::string_view psnr_stats, std::string_view ssim_stats);

// Each frame's squared error (all planes) of a psnr stats file alone, in frame
// order; a malformed line is left out.
std::vector<double> parse_psnr_stats(std::string_view psnr_stats);

// Frame sizes of each of ffmpeg's outputs, from its -vstats_file: keyframes
// apart from the others. Lines that are not well-formed are left out.
struct FrameSizes {
  double key_bytes = 0;
  int key_frames = 0;
  double other_bytes = 0;
  int other_frames = 0;
  void add(const FrameSizes& other);
};
std::vector<FrameSizes> parse_vstats(std::string_view text, std::size_t outputs);

// A rendition's scores from its frames, window by window (`window_starts[i]`
// is where window i starts).
RenditionQuality summarise_quality(std::string rendition, const std::vector<std::vector<FrameQuality>>& windows,
                                   const std::vector<double>& window_starts);

// The outcome's form: camelCase, without the rendition's name (it sits in the rendition).
nlohmann::json to_json(const RenditionQuality& quality);
// report.json's form: snake_case, with the name.
nlohmann::json to_report_json(const RenditionQuality& quality);
// Reads what to_json() wrote; none when it is not that.
std::optional<RenditionQuality> rendition_quality_from_json(const nlohmann::json& value);

}  // namespace st
