#include "pipeline/quality.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "media/input_policy.hpp"
#include "util/files.hpp"
#include "util/process.hpp"

namespace st {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A stats file holds a line of about 150 bytes per frame; a window is at most
// a segment (tens of seconds at most) of a few hundred frames per second.
constexpr std::size_t kMaxStatsBytes = std::size_t{8} << 20;

}  // namespace

double expected_quality_cost(const QualityOptions& options, double duration_seconds, double segment_seconds) {
  if (duration_seconds <= 0 || segment_seconds <= 0) return 0;
  const std::vector<std::uint64_t> segments(static_cast<std::size_t>(std::ceil(duration_seconds / segment_seconds)), 1);
  double sampled = 0;
  for (const auto& w : choose_quality_windows(segments, segment_seconds, duration_seconds, options)) {
    sampled += w.seconds;
  }
  constexpr double kCostPerSampledSecond = 1.4;
  return kCostPerSampledSecond * sampled;
}

std::vector<QualityWindow> choose_quality_windows(const std::vector<std::uint64_t>& segment_bytes,
                                                  double segment_seconds, double duration_seconds,
                                                  const QualityOptions& options) {
  const auto segments = static_cast<int>(segment_bytes.size());
  if (segments == 0 || segment_seconds <= 0 || options.windows <= 0 || options.window_seconds <= 0) return {};
  const auto seconds_of = [&](int k) {
    const double left = duration_seconds - k * segment_seconds;
    return left > 0 ? std::min(segment_seconds, left) : segment_seconds;
  };
  int complex = 0;
  for (int k = 1; k < segments; ++k) {
    if (static_cast<double>(segment_bytes[k]) / seconds_of(k) >
        static_cast<double>(segment_bytes[complex]) / seconds_of(complex)) {
      complex = k;
    }
  }
  int wanted = options.windows;
  if (options.seconds_per_window > 0 && duration_seconds > 0) {
    wanted =
        std::max(wanted, static_cast<int>(std::min(1e6, std::ceil(duration_seconds / options.seconds_per_window))));
  }
  const int count = std::min({wanted, segments, kMaxQualityWindows});
  std::vector<int> chosen{complex};
  // The others evenly spread, each in the middle of its share of the video.
  const int others = count - 1;
  for (int i = 0; i < others; ++i) {
    const int k = static_cast<int>(std::floor((i + 0.5) * segments / others));
    if (std::find(chosen.begin(), chosen.end(), k) == chosen.end()) chosen.push_back(k);
  }
  for (int k = 0; static_cast<int>(chosen.size()) < count && k < segments; ++k) {
    if (std::find(chosen.begin(), chosen.end(), k) == chosen.end()) chosen.push_back(k);
  }
  std::sort(chosen.begin(), chosen.end());
  std::vector<QualityWindow> windows;
  windows.reserve(chosen.size());
  for (const int k : chosen) {
    windows.push_back({.start_seconds = k * segment_seconds,
                       .seconds = std::min(options.window_seconds, seconds_of(k)),
                       .segment = k + 1,
                       .most_complex = k == complex});
  }
  return windows;
}

json to_json(const QualityReport& report) {
  json windows = json::array();
  for (const auto& w : report.windows) {
    windows.push_back({{"start_seconds", w.start_seconds}, {"seconds", w.seconds}, {"most_complex", w.most_complex}});
  }
  json renditions = json::array();
  for (const auto& r : report.renditions) {
    renditions.push_back(to_report_json(r));
  }
  return {{"windows", windows}, {"renditions", renditions}, {"notes", report.notes}};
}

Result<QualityReport> QualityMeter::measure(const fs::path& source, const MediaInfo& info, const Ladder& ladder,
                                            const EncodeCommand& command, double segment_seconds,
                                            const std::stop_token& stop,
                                            std::vector<std::vector<std::string>>& commands) const {
  QualityReport report;
  if (!ladder.hdr_video.empty()) report.notes.emplace_back("the HDR ladder's renditions are not measured");
  if (command.video.empty()) return report;
  const int top = command.video.front().representation;
  std::vector<std::uint64_t> sizes;
  std::error_code ec;
  for (int n = 1;; ++n) {
    const auto size = fs::file_size(command.segment_file(top, n), ec);
    if (ec) break;
    sizes.push_back(size);
  }
  report.windows = choose_quality_windows(sizes, segment_seconds, info.duration_seconds, options_);
  if (report.windows.empty()) return fail(ErrorCode::kProcess, "the encode wrote no segment to measure");

  const fs::path scratch = command.output_dir / ".quality";
  const auto count = command.video.size();
  std::vector<std::vector<std::vector<FrameQuality>>> frames(count);  // [rendition][window]
  for (std::size_t w = 0; w < report.windows.size(); ++w) {
    const auto& window = report.windows[w];
    const auto folder = scratch / fmt::format("w{}", w);
    if (auto made = make_directories(folder); !made) return tl::unexpected(made.error());
    std::vector<std::string> argv = {ffmpeg_,
                                     "-hide_banner",
                                     "-nostdin",
                                     "-loglevel",
                                     "error",
                                     "-nostats",
                                     "-y",
                                     "-ss",
                                     ffmpeg_seconds(window.start_seconds),
                                     "-t",
                                     ffmpeg_seconds(window.seconds)};
    for (auto& arg : safe_input_arguments(source)) argv.push_back(std::move(arg));
    // The reference: the encode's own picture, in 8-bit 4:2:0 like the renditions.
    std::string graph =
        fmt::format("[0:{}]{},setpts=PTS-STARTPTS,format=yuv420p", info.video.index, sdr_picture_filter(ladder));
    graph += count == 1 ? "[ref0]" : fmt::format(",split={}", count);
    for (std::size_t i = 0; count > 1 && i < count; ++i) graph += fmt::format("[ref{}]", i);
    for (std::size_t i = 0; i < count; ++i) {
      const auto& output = command.video[i];
      const auto& rendition = ladder.video.at(i);
      const auto joined = folder / fmt::format("rendition-{}.mp4", i);
      if (auto copied = concatenate_files(
              {command.init_file(output.representation), command.segment_file(output.representation, window.segment)},
              joined);
          !copied) {
        return tl::unexpected(copied.error());
      }
      argv.insert(argv.end(), {"-t", ffmpeg_seconds(window.seconds)});
      for (auto& arg : safe_input_arguments(joined)) argv.push_back(std::move(arg));
      // A rendition with fewer frames per second is compared with those frames of the source.
      const auto rate = rendition.frame_rate == ladder.frame_rate
                            ? std::string()
                            : fmt::format("fps=fps={}:start_time=0,", rendition.frame_rate.to_string());
      // Scaled back to the source's picture (and matrix, for an HD rung of a BT.601 source).
      graph += fmt::format(
          ";[ref{0}]{1}split=2[a{0}][b{0}];[{2}:v:0]setpts=PTS-STARTPTS[d{0}];"
          "[d{0}][a{0}]scale2ref=flags=bicubic{3}[u{0}][r{0}];[u{0}]format=yuv420p[e{0}];"
          "[e{0}][r{0}]psnr=stats_file=psnr-{0}.log:shortest=1[x{0}];[x{0}][b{0}]ssim=stats_file=ssim-{0}.log:"
          "shortest=1[o{0}]",
          i, rate, i + 1, rendition.from_bt601 ? ":in_color_matrix=bt709:out_color_matrix=bt601" : "");
    }
    argv.insert(argv.end(), {"-filter_complex", graph});
    for (std::size_t i = 0; i < count; ++i)
      argv.insert(argv.end(), {"-map", fmt::format("[o{}]", i), "-f", "null", "-"});
    commands.push_back(argv);
    auto run = run_captured(ProcessSpec{.argv = argv, .limits = options_.limits, .working_directory = folder},
                            std::size_t{64} * 1024, stop);
    if (!run) return tl::unexpected(run.error());
    if (run->result.cancelled) return fail(ErrorCode::kCancelled, "quality measurement stopped on request");
    if (!run->result.succeeded()) {
      return fail(ErrorCode::kProcess, fmt::format("ffmpeg {} measuring the window at {:.1f} s", run->result.describe(),
                                                   window.start_seconds));
    }
    for (std::size_t i = 0; i < count; ++i) {
      auto psnr = read_text_file(folder / fmt::format("psnr-{}.log", i), kMaxStatsBytes);
      auto ssim = read_text_file(folder / fmt::format("ssim-{}.log", i), kMaxStatsBytes);
      if (!psnr) return tl::unexpected(psnr.error());
      if (!ssim) return tl::unexpected(ssim.error());
      frames[i].push_back(parse_quality_stats(*psnr, *ssim));
    }
  }
  fs::remove_all(scratch, ec);
  std::vector<double> starts;
  for (const auto& w : report.windows) starts.push_back(w.start_seconds);
  for (std::size_t i = 0; i < count; ++i) {
    report.renditions.push_back(summarise_quality(command.video[i].rendition, frames[i], starts));
    if (report.renditions.back().frames == 0) {
      return fail(ErrorCode::kProcess, fmt::format("no frame of {} could be compared", command.video[i].rendition));
    }
  }
  return report;
}

}  // namespace st
