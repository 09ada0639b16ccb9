// What the reports and the quality scores read: a report's query range as a
// caller sends it, the quality stats files ffmpeg writes (a hostile source
// shapes them), and a stored outcome's quality object.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "jobs/job_reports.hpp"
#include "media/quality_scores.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto cut = text.find('|');
  const auto first = text.substr(0, cut);
  const auto second = cut == std::string_view::npos ? std::string_view() : text.substr(cut + 1);
  if (auto range = st::parse_report_range(first, second)) {
    // What passes must be what PostgreSQL reads: a date or a UTC time, from before to.
    if (range->from.size() != 10 && range->from.size() != 20) __builtin_trap();
  }
  static_cast<void>(st::parse_report_grouping(first));
  const auto frames = st::parse_quality_stats(first, second);
  std::vector<std::vector<st::FrameQuality>> windows{frames};
  const auto quality = st::summarise_quality("r", windows, {0.0});
  if (quality.frames != static_cast<int>(frames.size())) __builtin_trap();
  if (quality.mean.psnr < 0 || quality.mean.psnr > st::kMaxPsnr) __builtin_trap();
  // The per-title analysis's stats: sizes and errors are finite and never negative.
  for (const auto& sizes : st::parse_vstats(first, 3)) {
    if (!(sizes.key_bytes >= 0) || !(sizes.other_bytes >= 0) || sizes.key_frames < 0) __builtin_trap();
  }
  for (const double mse : st::parse_psnr_stats(second)) {
    if (!(mse >= 0) || !std::isfinite(mse)) __builtin_trap();
  }
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_discarded()) {
    if (auto read = st::rendition_quality_from_json(json)) static_cast<void>(st::to_json(*read).dump());
  }
  st::JobFacts row{.job_id = std::string(first), .error_code = std::string(second)};
  static_cast<void>(st::to_csv_line(row));
  return 0;
}
