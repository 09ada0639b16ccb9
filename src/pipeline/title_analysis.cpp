#include "pipeline/title_analysis.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "media/input_policy.hpp"
#include "media/quality_scores.hpp"
#include "util/files.hpp"
#include "util/process.hpp"

namespace st {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// x264's rate and distortion against its CRF, measured on this machine's
// ffmpeg with the veryfast preset (docs/performance.md#per-title-ladder):
// the coding's squared error doubles about every 3.8 CRF steps (0.8 dB per
// step; 1.0 on some sources, so 0.8 errs towards quality), and the bit rate
// halves about every 8 steps (8.6 to 9.8 measured; 8 errs towards bits).
constexpr double kCrfPerErrorDoubling = 3.76;
constexpr double kCrfPerRateHalving = 8.0;
constexpr double kMinCrf = 10;
constexpr double kMaxCrf = 36;
// A rung expected to need more than this share of its ceiling is probed at
// the ceiling; below it, at its candidate CRF.
constexpr double kCeilingProbeShare = 1.5;
// A rung is taken smaller only when that measured at least this much better.
constexpr double kSmallerGainDb = 0.05;
// A rung that costs more than this share of the rung above it is not worth having.
constexpr double kDropShare = 0.8;
constexpr int kMinRungKbps = 100;
// A psnr stats file holds about 150 bytes per frame.
constexpr std::size_t kMaxStatsBytes = std::size_t{8} << 20;
// Below this the coding's error is lost in rounding (a perfect probe).
constexpr double kMinCodingMse = 1e-4;

double mse_from_psnr(double psnr) {
  return 255.0 * 255.0 / std::pow(10.0, psnr / 10.0);
}

int even(double value) {
  return std::max(2, 2 * static_cast<int>(std::lround(value / 2.0)));
}

int round_to_10(double kbps) {
  return static_cast<int>(std::lround(kbps / 10.0)) * 10;
}

// The scale filter of a rung as the encoder scales it, and back to the source's picture.
std::string down_scale(const VideoRendition& r, int width, int height) {
  return fmt::format("scale={}:{}:flags=bicubic{}", width, height,
                     r.from_bt601 ? ":in_color_matrix=bt601:out_color_matrix=bt709" : "");
}

std::string back_scale(const VideoRendition& r) {
  return r.from_bt601 ? ":in_color_matrix=bt709:out_color_matrix=bt601" : "";
}

std::string rate_filter(const VideoRendition& r, const Ladder& ladder) {
  return r.frame_rate == ladder.frame_rate ? std::string()
                                           : fmt::format("fps=fps={}:start_time=0,", r.frame_rate.to_string());
}

std::vector<std::string> ffmpeg_head(const std::string& ffmpeg) {
  return {ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-nostats", "-y"};
}

// The frames' squared errors of a psnr stats file: their sum and count.
struct ErrorSum {
  double sum = 0;
  std::size_t frames = 0;
  void add(const ErrorSum& other) {
    sum += other.sum;
    frames += other.frames;
  }
  [[nodiscard]] double mean() const { return frames > 0 ? sum / static_cast<double>(frames) : 0; }
};

Result<ErrorSum> read_errors(const fs::path& file) {
  auto text = read_text_file(file, kMaxStatsBytes);
  if (!text) return tl::unexpected(text.error());
  ErrorSum out;
  for (const double mse : parse_psnr_stats(*text)) {
    out.sum += mse;
    ++out.frames;
  }
  return out;
}

// One probe encode's sums over the windows. A window holds one keyframe
// where the encode has one per segment: the bit rate is the encode's, a
// keyframe and `gop - 1` other frames per segment.
struct PointSums {
  FrameSizes sizes;
  ErrorSum errors;
  double gop = 1;
  double frame_rate = 0;
  [[nodiscard]] ProbePoint point() const {
    if (sizes.key_frames == 0 || errors.frames == 0 || !(frame_rate > 0)) return {};
    const double key = sizes.key_bytes / sizes.key_frames;
    const double other = sizes.other_frames > 0 ? sizes.other_bytes / sizes.other_frames : key;
    const double per_frame = (key + (gop - 1) * other) / gop;
    return {.kbps = per_frame * 8 * frame_rate / 1000, .mse = errors.mean()};
  }
};

// One probe encode: which rung, at what size, with which rate control.
struct ProbeSpec {
  std::size_t rung = 0;
  int width = 0;
  int height = 0;
  std::vector<std::string> rate;  // x264's rate-control arguments
  ProbePoint RungProbe::*point = nullptr;
};

// The coding's own error (beyond what the size loses), never zero.
double coding_error(const RungProbe& probe, const ProbePoint& point) {
  return std::max(kMinCodingMse, point.mse - probe.scaled_mse);
}

// Coding may add a small share of what the size loses; at the source's own
// size it may take the picture down to the transparent target.
double target_mse(const RungProbe& probe, const PerTitleOptions& options) {
  const double size_loss = std::max(probe.scaled_mse, mse_from_psnr(options.top_psnr_db));
  return size_loss * std::pow(10.0, options.max_loss_db / 10.0);
}

double ceiling_kbps(const VideoRendition& r, const PerTitleOptions& options) {
  return std::max<double>(kMinRungKbps, options.ceiling * r.bitrate_kbps);
}

double floor_kbps(const VideoRendition& r, const PerTitleOptions& options) {
  return std::min(ceiling_kbps(r, options), std::max<double>(kMinRungKbps, options.floor * r.bitrate_kbps));
}

// One pass over every window: `specs`' probe encodes from one decode, then
// their comparison with the source (and, with `scaled`, each rung's size
// uncoded), added up into `analysis`.
Result<void> probe_pass(const PerTitleOptions& options, const std::string& ffmpeg, const fs::path& source,
                        const MediaInfo& info, const Ladder& ladder, const std::string& preset, double segment_seconds,
                        const fs::path& scratch, const std::vector<ProbeSpec>& specs, std::vector<ErrorSum>* scaled,
                        TitleAnalysis& analysis, const std::stop_token& stop,
                        std::vector<std::vector<std::string>>& commands) {
  const auto n = specs.size();
  std::vector<PointSums> sums(n);
  for (std::size_t k = 0; k < n; ++k) {
    const auto rate = ladder.video[specs[k].rung].frame_rate.value();
    sums[k].frame_rate = rate;
    sums[k].gop = std::max(1.0, std::ceil(rate * segment_seconds));
  }
  // The encode's own picture. The comparison reads every second frame: half
  // the cost, and the windows' means barely move.
  const auto picture =
      fmt::format("[0:{}]{},setpts=PTS-STARTPTS,format=yuv420p", info.video.index, sdr_picture_filter(ladder));
  for (std::size_t w = 0; w < analysis.window_starts.size(); ++w) {
    const auto folder = scratch / fmt::format("w{}", w);
    if (auto made = make_directories(folder); !made) return tl::unexpected(made.error());
    const auto window = std::vector<std::string>{"-ss", ffmpeg_seconds(analysis.window_starts[w]), "-t",
                                                 ffmpeg_seconds(options.window_seconds)};
    const auto run = [&](std::vector<std::string> argv) -> Result<void> {
      commands.push_back(argv);
      auto done =
          run_captured(ProcessSpec{.argv = std::move(argv), .limits = options.limits, .working_directory = folder},
                       std::size_t{64} * 1024, stop);
      if (!done) return tl::unexpected(done.error());
      if (done->result.cancelled) return fail(ErrorCode::kCancelled, "the analysis stopped on request");
      if (!done->result.succeeded()) {
        return fail(ErrorCode::kProcess, fmt::format("ffmpeg {} analysing the window at {:.1f} s",
                                                     done->result.describe(), analysis.window_starts[w]));
      }
      return {};
    };

    // The probe encodes, from one decode of the window, in NUT: its few
    // bytes per packet leave the size the bits' own.
    auto encode = ffmpeg_head(ffmpeg);
    encode.insert(encode.end(), {"-vstats_file", "vstats.log"});
    encode.insert(encode.end(), window.begin(), window.end());
    for (auto& arg : safe_input_arguments(source)) encode.push_back(std::move(arg));
    std::string graph = picture + (n == 1 ? "[i0]" : fmt::format(",split={}", n));
    for (std::size_t k = 0; n > 1 && k < n; ++k) graph += fmt::format("[i{}]", k);
    for (std::size_t k = 0; k < n; ++k) {
      const auto& r = ladder.video[specs[k].rung];
      graph += fmt::format(";[i{0}]{1}{2},setsar=1,format=yuv420p[p{0}]", k, rate_filter(r, ladder),
                           down_scale(r, specs[k].width, specs[k].height));
    }
    encode.insert(encode.end(), {"-filter_complex", graph});
    for (std::size_t k = 0; k < n; ++k) {
      encode.insert(encode.end(), {"-map", fmt::format("[p{}]", k), "-c:v", "libx264", "-preset", preset});
      encode.insert(encode.end(), specs[k].rate.begin(), specs[k].rate.end());
      // One keyframe, at the window's start, as at a segment's.
      encode.insert(encode.end(), {"-g", "100000", "-sc_threshold", "0", "-f", "nut", fmt::format("probe-{}.nut", k)});
    }
    if (auto done = run(encode); !done) return tl::unexpected(done.error());

    // Each probe against the window at the source's size, and (first pass)
    // each rung's size uncoded.
    auto measure = ffmpeg_head(ffmpeg);
    measure.insert(measure.end(), window.begin(), window.end());
    for (auto& arg : safe_input_arguments(source)) measure.push_back(std::move(arg));
    for (std::size_t k = 0; k < n; ++k) {
      for (auto& arg : safe_input_arguments(folder / fmt::format("probe-{}.nut", k))) measure.push_back(std::move(arg));
    }
    const std::size_t uses = scaled != nullptr ? 3 : 1;
    graph = picture + fmt::format(",split={}", n);
    for (std::size_t k = 0; k < n; ++k) graph += fmt::format("[i{}]", k);
    for (std::size_t k = 0; k < n; ++k) {
      const auto& r = ladder.video[specs[k].rung];
      const auto back = back_scale(r);
      graph += fmt::format(";[i{0}]{1}framestep=2", k, rate_filter(r, ladder));
      graph += uses == 1 ? fmt::format("[a{}]", k) : fmt::format(",split=3[a{0}][b{0}][c{0}]", k);
      graph += fmt::format(
          ";[{1}:v:0]setpts=PTS-STARTPTS,framestep=2[q{0}];[q{0}][a{0}]scale2ref=flags=bicubic{2}[u{0}][r{0}]"
          ";[u{0}]format=yuv420p[k{0}];[k{0}][r{0}]psnr=stats_file=coded-{0}.log:shortest=1[x{0}]",
          k, k + 1, back);
      if (uses == 3) {
        graph += fmt::format(
            ";[b{0}]{1}[bd{0}];[bd{0}][c{0}]scale2ref=flags=bicubic{2}[bu{0}][br{0}];[bu{0}]format=yuv420p[bf{0}]"
            ";[bf{0}][br{0}]psnr=stats_file=scaled-{0}.log[y{0}]",
            k, down_scale(r, specs[k].width, specs[k].height), back);
      }
    }
    measure.insert(measure.end(), {"-filter_complex", graph});
    for (std::size_t k = 0; k < n; ++k) {
      measure.insert(measure.end(), {"-map", fmt::format("[x{}]", k), "-f", "null", "-"});
      if (uses == 3) measure.insert(measure.end(), {"-map", fmt::format("[y{}]", k), "-f", "null", "-"});
    }
    if (auto done = run(measure); !done) return tl::unexpected(done.error());

    auto vstats = read_text_file(folder / "vstats.log", kMaxStatsBytes);
    if (!vstats) return tl::unexpected(vstats.error());
    const auto sizes = parse_vstats(*vstats, n);
    for (std::size_t k = 0; k < n; ++k) {
      auto coded = read_errors(folder / fmt::format("coded-{}.log", k));
      if (!coded) return tl::unexpected(coded.error());
      sums[k].sizes.add(sizes[k]);
      sums[k].errors.add(*coded);
      if (scaled != nullptr) {
        auto uncoded = read_errors(folder / fmt::format("scaled-{}.log", k));
        if (!uncoded) return tl::unexpected(uncoded.error());
        (*scaled)[specs[k].rung].add(*uncoded);
      }
    }
  }
  for (std::size_t k = 0; k < n; ++k) {
    const auto point = sums[k].point();
    if (!point.measured()) {
      return fail(ErrorCode::kProcess,
                  fmt::format("no frame of the {} probe could be compared", ladder.video[specs[k].rung].name));
    }
    analysis.rungs[specs[k].rung].*specs[k].point = point;
  }
  return {};
}

}  // namespace

std::vector<double> analysis_window_starts(double duration_seconds, int count, double window_seconds) {
  std::vector<double> starts;
  if (!(duration_seconds > 0) || count <= 0 || !(window_seconds > 0)) return starts;
  const double span = std::max(0.0, duration_seconds - window_seconds);
  const int n = span > 0 ? std::min(count, 1 + static_cast<int>(span / window_seconds)) : 1;
  for (int k = 0; k < n; ++k) {
    // Centred in n equal parts: never the black first frames alone.
    starts.push_back(n == 1 ? 0.0 : span * (k + 0.5) / n);
  }
  return starts;
}

void choose_candidates(TitleAnalysis& analysis, const Ladder& ladder, const PerTitleOptions& options) {
  const double c0 = analysis.probe_crf;
  for (auto& probe : analysis.rungs) {
    probe.candidate_crf = 0;
    const auto rung = std::find_if(ladder.video.begin(), ladder.video.end(),
                                   [&](const VideoRendition& r) { return r.name == probe.rendition; });
    if (rung == ladder.video.end() || !probe.at_probe_crf.measured()) continue;
    const double budget = target_mse(probe, options) - probe.scaled_mse;
    const double crf = std::clamp(
        c0 + kCrfPerErrorDoubling * std::log2(budget / coding_error(probe, probe.at_probe_crf)), kMinCrf, kMaxCrf);
    const double kbps = probe.at_probe_crf.kbps * std::exp2((c0 - crf) / kCrfPerRateHalving);
    if (kbps <= kCeilingProbeShare * ceiling_kbps(*rung, options))
      probe.candidate_crf = static_cast<int>(std::lround(crf));
  }
}

Ladder fit_ladder_to_title(Ladder ladder, const TitleAnalysis& analysis, const PerTitleOptions& options,
                           std::vector<RungChoice>& choices) {
  choices.clear();
  std::vector<VideoRendition> kept;
  for (auto r : ladder.video) {
    RungChoice choice{.rendition = r.name, .fixed_kbps = r.bitrate_kbps, .width = r.width, .height = r.height};
    const auto probe = std::find_if(analysis.rungs.begin(), analysis.rungs.end(),
                                    [&](const RungProbe& p) { return p.rendition == r.name; });
    const bool crf_probed = probe != analysis.rungs.end() && probe->candidate_crf > 0 &&
                            probe->at_candidate.measured() && probe->at_probe_crf.measured();
    const bool ceiling_probed = probe != analysis.rungs.end() && probe->at_ceiling.measured();
    // The first pass alone: a rung it found beyond its ceiling (and did not
    // probe at two sizes) is still encoded at the ceiling.
    const bool first_only = probe != analysis.rungs.end() && probe->at_probe_crf.measured() && !crf_probed;
    const double ceiling = ceiling_kbps(r, options);
    const double floor = floor_kbps(r, options);
    bool at_ceiling = !crf_probed;  // else decided from the CRF probe's rate
    if (!crf_probed && !ceiling_probed && !first_only) {
      choice.kbps = r.bitrate_kbps;
      choice.reason = "not probed: kept as in the fixed ladder";
      choices.push_back(choice);
      kept.push_back(r);
      continue;
    }
    if (crf_probed) {
      // The two measured points give this rung's own slopes of error and bits against CRF.
      const auto& p = *probe;
      const double c0 = analysis.probe_crf;
      const double c1 = p.candidate_crf;
      const double e0 = coding_error(p, p.at_probe_crf);
      const double e1 = coding_error(p, p.at_candidate);
      const bool two_points = std::abs(c1 - c0) >= 1;
      const double error_slope =
          two_points && e0 > e1 ? std::log2(e0 / e1) / (c0 - c1) : 1.0 / kCrfPerErrorDoubling;  // doublings per CRF
      const double rate_slope = two_points && p.at_candidate.kbps > p.at_probe_crf.kbps
                                    ? std::log2(p.at_candidate.kbps / p.at_probe_crf.kbps) / (c0 - c1)
                                    : 1.0 / kCrfPerRateHalving;
      const double budget = target_mse(p, options) - p.scaled_mse;
      double crf = c1;
      // Missed the target: lower the CRF by the slope, rounding towards quality.
      if (e1 > budget) crf = std::floor(c1 - std::log2(e1 / budget) / error_slope);
      crf = std::clamp(crf, kMinCrf, kMaxCrf);
      const auto kbps_at = [&](double c) { return p.at_candidate.kbps * std::exp2((c1 - c) * rate_slope); };
      const auto mse_at = [&](double c) { return p.scaled_mse + e1 * std::exp2((c - c1) * error_slope); };
      double kbps = kbps_at(crf);
      const bool scaled = p.scaled_mse > mse_from_psnr(options.top_psnr_db);
      choice.reason =
          scaled ? fmt::format(
                       "{:.1f} dB is the best {}x{} shows of this source; CRF {:.0f} comes within "
                       "{:.1f} dB of it",
                       psnr_from_mse(p.scaled_mse), r.width, r.height, crf, options.max_loss_db)
                 : fmt::format("CRF {:.0f} reaches about {:.0f} dB at the source's size", crf, options.top_psnr_db);
      if (kbps < floor) {
        crf = std::max(kMinCrf, std::round(c1 - std::log2(floor / p.at_candidate.kbps) / rate_slope));
        kbps = std::max(floor, kbps_at(crf));
        choice.reason += fmt::format("; raised to the floor of {:.0f} kbit/s", floor);
      }
      if (kbps > ceiling) {
        at_ceiling = true;
        choice.reason = fmt::format(
            "needs about {:.0f} kbit/s at CRF {:.0f}, above the ceiling of {:.0f}: ABR at the "
            "ceiling",
            kbps, crf, ceiling);
      } else {
        at_ceiling = false;
        choice.crf = static_cast<int>(crf);
        choice.kbps = round_to_10(kbps);
        choice.expected_psnr = psnr_from_mse(mse_at(crf));
      }
    }
    if (at_ceiling) {
      choice.crf = 0;
      choice.kbps = round_to_10(ceiling);
      if (!crf_probed) {
        choice.reason = fmt::format("needs more than the ceiling of {:.0f} kbit/s: ABR at the ceiling", ceiling);
      }
      if (ceiling_probed) {
        const double full = psnr_from_mse(probe->at_ceiling.mse);
        choice.expected_psnr = full;
        if (probe->smaller_at_ceiling.measured() &&
            psnr_from_mse(probe->smaller_at_ceiling.mse) >= full + kSmallerGainDb) {
          r.width = std::min(r.width, even(r.width * kSmallerSize));
          r.height = std::min(r.height, even(r.height * kSmallerSize));
          choice.expected_psnr = psnr_from_mse(probe->smaller_at_ceiling.mse);
          choice.reason += fmt::format(", at {}x{}, which measured better there ({:.2f} dB against {:.2f})", r.width,
                                       r.height, choice.expected_psnr, full);
        }
      }
    }
    choice.width = r.width;
    choice.height = r.height;
    if (!kept.empty() && choice.kbps >= kDropShare * kept.back().bitrate_kbps) {
      choice.dropped = true;
      choice.reason += fmt::format("; dropped: {} kbit/s is within {:.0f}% of the {} rung's {}", choice.kbps,
                                   100 * (1 - kDropShare), kept.back().name, kept.back().bitrate_kbps);
      choices.push_back(choice);
      ladder.notes.push_back(fmt::format("{} dropped by the per-title ladder: it would cost nearly as much as {}",
                                         r.name, kept.back().name));
      continue;
    }
    // Peaks stay within the ceiling's share of the fixed ladder's.
    r.crf = choice.crf;
    r.bitrate_kbps = choice.kbps;
    r.maxrate_kbps = round_to_10(r.maxrate_kbps * options.ceiling);
    r.bufsize_kbits = round_to_10(r.bufsize_kbits * options.ceiling);
    choices.push_back(choice);
    kept.push_back(r);
  }
  ladder.video = std::move(kept);
  return ladder;
}

json to_json(const TitleFit& fit) {
  const auto point = [](const ProbePoint& p) -> json {
    if (!p.measured()) return nullptr;
    return {{"kbps", std::round(p.kbps)}, {"psnr", std::round(psnr_from_mse(p.mse) * 100) / 100}};
  };
  json rungs = json::array();
  for (const auto& c : fit.rungs) {
    rungs.push_back(
        {{"rendition", c.rendition},
         {"fixed_kbps", c.fixed_kbps},
         {"kbps", c.kbps},
         {"rate_control", c.crf > 0 ? "crf" : "abr"},
         {"crf", c.crf > 0 ? json(c.crf) : json(nullptr)},
         {"width", c.width},
         {"height", c.height},
         {"expected_psnr", c.expected_psnr > 0 ? json(std::round(c.expected_psnr * 100) / 100) : json(nullptr)},
         {"dropped", c.dropped},
         {"reason", c.reason}});
  }
  json probes = json::array();
  for (const auto& p : fit.analysis.rungs) {
    probes.push_back({{"rendition", p.rendition},
                      {"scaled_psnr", std::round(psnr_from_mse(p.scaled_mse) * 100) / 100},
                      {"at_probe_crf", point(p.at_probe_crf)},
                      {"candidate_crf", p.candidate_crf > 0 ? json(p.candidate_crf) : json(nullptr)},
                      {"at_candidate", point(p.at_candidate)},
                      {"at_ceiling", point(p.at_ceiling)},
                      {"smaller_at_ceiling", point(p.smaller_at_ceiling)}});
  }
  return {{"windows", fit.analysis.window_starts},
          {"window_seconds", fit.analysis.window_seconds},
          {"probe_crf", fit.analysis.probe_crf},
          {"probes", probes},
          {"rungs", rungs}};
}

Result<TitleAnalysis> TitleAnalyser::analyse(const fs::path& source, const MediaInfo& info, const Ladder& ladder,
                                             const std::string& preset, double segment_seconds, const fs::path& scratch,
                                             const std::stop_token& stop,
                                             std::vector<std::vector<std::string>>& commands) const {
  TitleAnalysis analysis;
  analysis.window_seconds = options_.window_seconds;
  analysis.probe_crf = options_.probe_crf;
  // One window per seconds_per_window of a longer video (clamped before the cast: durations come from outside).
  const double by_length = std::clamp(info.duration_seconds / std::max(1.0, options_.seconds_per_window), 0.0,
                                      static_cast<double>(kMaxAnalysisWindows));
  const int windows = std::clamp(std::max(options_.windows, std::isfinite(by_length) ? static_cast<int>(by_length) : 0),
                                 1, kMaxAnalysisWindows);
  analysis.window_starts = analysis_window_starts(info.duration_seconds, windows, options_.window_seconds);
  const auto count = ladder.video.size();
  if (analysis.window_starts.empty() || count == 0) return fail(ErrorCode::kInvalidInput, "nothing to analyse");
  for (const auto& r : ladder.video) analysis.rungs.push_back({.rendition = r.name});
  const auto crf = [](int value) { return std::vector<std::string>{"-crf", std::to_string(value)}; };

  // Pass 1: every rung at the probe CRF, and every rung's size uncoded.
  std::vector<ProbeSpec> first;
  for (std::size_t i = 0; i < count; ++i) {
    first.push_back({.rung = i,
                     .width = ladder.video[i].width,
                     .height = ladder.video[i].height,
                     .rate = crf(options_.probe_crf),
                     .point = &RungProbe::at_probe_crf});
  }
  std::vector<ErrorSum> scaled(count);
  if (auto done = probe_pass(options_, ffmpeg_, source, info, ladder, preset, segment_seconds, scratch / "pass-1",
                             first, &scaled, analysis, stop, commands);
      !done) {
    return tl::unexpected(done.error());
  }
  for (std::size_t i = 0; i < count; ++i) analysis.rungs[i].scaled_mse = scaled[i].mean();

  // Pass 2: each rung at its candidate CRF, or at its ceiling at two sizes.
  choose_candidates(analysis, ladder, options_);
  std::vector<ProbeSpec> second;
  for (std::size_t i = 0; i < count; ++i) {
    const auto& r = ladder.video[i];
    const auto& probe = analysis.rungs[i];
    if (!probe.at_probe_crf.measured()) continue;
    const double share = options_.ceiling;
    auto cap = std::vector<std::string>{"-maxrate", fmt::format("{}k", round_to_10(r.maxrate_kbps * share)), "-bufsize",
                                        fmt::format("{}k", round_to_10(r.bufsize_kbits * share))};
    if (probe.candidate_crf > 0) {
      auto rate = crf(probe.candidate_crf);
      rate.insert(rate.end(), cap.begin(), cap.end());
      second.push_back(
          {.rung = i, .width = r.width, .height = r.height, .rate = rate, .point = &RungProbe::at_candidate});
      continue;
    }
    // At the ceiling a smaller picture can only win where the coding, not the
    // size, loses the most; elsewhere the rung keeps its size unprobed.
    if (coding_error(probe, probe.at_probe_crf) < probe.scaled_mse) continue;
    // Both sizes at the ceiling's rate over the short window: a buffer no
    // longer than the window, or the probes would spend its initial fill.
    const auto ceiling = round_to_10(ceiling_kbps(r, options_));
    const auto rate = std::vector<std::string>{
        "-b",       fmt::format("{}k", ceiling),
        "-maxrate", fmt::format("{}k", ceiling),
        "-bufsize", fmt::format("{}k", std::max(10, round_to_10(ceiling * options_.window_seconds)))};
    second.push_back({.rung = i, .width = r.width, .height = r.height, .rate = rate, .point = &RungProbe::at_ceiling});
    second.push_back({.rung = i,
                      .width = even(r.width * kSmallerSize),
                      .height = even(r.height * kSmallerSize),
                      .rate = rate,
                      .point = &RungProbe::smaller_at_ceiling});
  }
  if (!second.empty()) {
    if (auto done = probe_pass(options_, ffmpeg_, source, info, ladder, preset, segment_seconds, scratch / "pass-2",
                               second, nullptr, analysis, stop, commands);
        !done) {
      return tl::unexpected(done.error());
    }
  }
  std::error_code ec;
  fs::remove_all(scratch, ec);
  return analysis;
}

}  // namespace st
