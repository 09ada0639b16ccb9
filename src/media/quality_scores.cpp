#include "media/quality_scores.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>

namespace st {
namespace {

using nlohmann::json;

// The number after "key:" in a stats line, if the line has one.
std::optional<double> field(std::string_view line, std::string_view key) {
  std::size_t at = 0;
  while (at < line.size()) {
    const auto end = std::min(line.find(' ', at), line.size());
    const auto token = line.substr(at, end - at);
    if (token.size() > key.size() && token.starts_with(key) && token[key.size()] == ':') {
      const auto number = token.substr(key.size() + 1);
      double value = 0;
      const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
      if (ec == std::errc() && ptr == number.data() + number.size() && std::isfinite(value)) return value;
      return std::nullopt;
    }
    at = end + 1;
  }
  return std::nullopt;
}

// Each line's frame number and the line, for those that have one.
std::map<long, std::string_view> lines_by_frame(std::string_view text) {
  std::map<long, std::string_view> out;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto end = std::min(text.find('\n', at), text.size());
    const auto line = text.substr(at, end - at);
    if (const auto n = field(line, "n"); n && *n >= 0 && *n < 1e9) out.emplace(static_cast<long>(*n), line);
    at = end + 1;
  }
  return out;
}

double percentile_5(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(std::floor(0.05 * static_cast<double>(values.size() - 1)))];
}

QualityScores mean_scores(const std::vector<const FrameQuality*>& frames) {
  double mse = 0;
  double mse_y = 0;
  double ssim = 0;
  for (const auto* f : frames) {
    mse += f->mse;
    mse_y += f->mse_y;
    ssim += f->ssim;
  }
  const auto n = static_cast<double>(std::max<std::size_t>(1, frames.size()));
  return {.psnr_y = psnr_from_mse(mse_y / n), .psnr = psnr_from_mse(mse / n), .ssim = ssim / n};
}

double rounded(double value, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

// The outcome (API, events) names keys in camelCase, report.json in snake_case.
json scores_json(const QualityScores& scores, bool snake_case) {
  return {{snake_case ? "psnr_y" : "psnrY", rounded(scores.psnr_y, 2)},
          {"psnr", rounded(scores.psnr, 2)},
          {"ssim", rounded(scores.ssim, 5)}};
}

json rendition_json(const RenditionQuality& quality, bool snake_case) {
  auto worst = scores_json(quality.worst_window.scores, snake_case);
  worst[snake_case ? "start_seconds" : "startSeconds"] = quality.worst_window.start_seconds;
  return {{"frames", quality.frames},
          {"mean", scores_json(quality.mean, snake_case)},
          {"p5", scores_json(quality.p5, snake_case)},
          {snake_case ? "worst_window" : "worstWindow", worst}};
}

}  // namespace

double psnr_from_mse(double mse) {
  if (!(mse > 0)) return kMaxPsnr;
  // Beyond the largest error 8-bit pictures can have, 0 dB (stats files come from outside).
  return std::clamp(10.0 * std::log10(255.0 * 255.0 / mse), 0.0, kMaxPsnr);
}

std::vector<FrameQuality> parse_quality_stats(std::string_view psnr_stats, std::string_view ssim_stats) {
  const auto psnr = lines_by_frame(psnr_stats);
  const auto ssim = lines_by_frame(ssim_stats);
  std::vector<FrameQuality> frames;
  for (const auto& [n, line] : psnr) {
    const auto other = ssim.find(n);
    if (other == ssim.end()) continue;
    const auto mse = field(line, "mse_avg");
    const auto mse_y = field(line, "mse_y");
    const auto all = field(other->second, "All");
    if (!mse || !mse_y || !all || *mse < 0 || *mse_y < 0 || *all < -1 || *all > 1) continue;
    frames.push_back({.mse = *mse, .mse_y = *mse_y, .ssim = *all});
  }
  return frames;
}

std::vector<double> parse_psnr_stats(std::string_view psnr_stats) {
  std::vector<double> errors;
  for (const auto& [n, line] : lines_by_frame(psnr_stats)) {
    const auto mse = field(line, "mse_avg");
    if (mse && *mse >= 0) errors.push_back(*mse);
  }
  return errors;
}

void FrameSizes::add(const FrameSizes& other) {
  key_bytes += other.key_bytes;
  key_frames += other.key_frames;
  other_bytes += other.other_bytes;
  other_frames += other.other_frames;
}

std::vector<FrameSizes> parse_vstats(std::string_view text, std::size_t outputs) {
  std::vector<FrameSizes> out(outputs);
  // "out=  0 st=  0 frame=     1 q= 29.0 f_size=   1272 ... type= P": keys
  // and values are separated by "=" and blanks.
  const auto value_after = [](std::string_view line, std::string_view key) -> std::optional<std::string_view> {
    const auto at = line.find(key);
    if (at == std::string_view::npos) return std::nullopt;
    auto rest = line.substr(at + key.size());
    rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
    return rest.substr(0, std::min(rest.find(' '), rest.size()));
  };
  const auto number = [](std::optional<std::string_view> token) -> std::optional<double> {
    if (!token || token->empty()) return std::nullopt;
    double value = 0;
    const auto [ptr, ec] = std::from_chars(token->data(), token->data() + token->size(), value);
    if (ec != std::errc() || ptr != token->data() + token->size() || !std::isfinite(value) || value < 0) {
      return std::nullopt;
    }
    return value;
  };
  std::size_t at = 0;
  while (at < text.size()) {
    const auto end = std::min(text.find('\n', at), text.size());
    const auto line = text.substr(at, end - at);
    at = end + 1;
    const auto index = number(value_after(line, "out="));
    const auto size = number(value_after(line, "f_size="));
    const auto type = value_after(line, "type=");
    if (!index || !size || !type || type->empty() || *index >= static_cast<double>(outputs)) continue;
    auto& sizes = out[static_cast<std::size_t>(*index)];
    if (*type == "I") {
      sizes.key_bytes += *size;
      ++sizes.key_frames;
    } else {
      sizes.other_bytes += *size;
      ++sizes.other_frames;
    }
  }
  return out;
}

RenditionQuality summarise_quality(std::string rendition, const std::vector<std::vector<FrameQuality>>& windows,
                                   const std::vector<double>& window_starts) {
  RenditionQuality out;
  out.rendition = std::move(rendition);
  std::vector<const FrameQuality*> all;
  std::vector<double> psnr;
  std::vector<double> psnr_y;
  std::vector<double> ssim;
  bool first = true;
  for (std::size_t w = 0; w < windows.size(); ++w) {
    std::vector<const FrameQuality*> frames;
    for (const auto& f : windows[w]) {
      frames.push_back(&f);
      psnr.push_back(psnr_from_mse(f.mse));
      psnr_y.push_back(psnr_from_mse(f.mse_y));
      ssim.push_back(f.ssim);
    }
    if (frames.empty()) continue;
    all.insert(all.end(), frames.begin(), frames.end());
    const auto scores = mean_scores(frames);
    if (first || scores.psnr < out.worst_window.scores.psnr) {
      out.worst_window = {.start_seconds = w < window_starts.size() ? window_starts[w] : 0, .scores = scores};
      first = false;
    }
  }
  out.frames = static_cast<int>(all.size());
  out.mean = mean_scores(all);
  out.p5 = {.psnr_y = percentile_5(psnr_y), .psnr = percentile_5(psnr), .ssim = percentile_5(ssim)};
  return out;
}

json to_json(const RenditionQuality& quality) {
  return rendition_json(quality, false);
}

json to_report_json(const RenditionQuality& quality) {
  auto item = rendition_json(quality, true);
  item["rendition"] = quality.rendition;
  return item;
}

std::optional<RenditionQuality> rendition_quality_from_json(const json& value) {
  // Only what to_json() writes: an integer count and finite numbers; anything
  // else (a count too large for an int, a string) reads as no scores.
  const auto number = [](const json& object, const char* key) -> std::optional<double> {
    if (!object.is_object()) return std::nullopt;
    const auto found = object.find(key);
    if (found == object.end() || !found->is_number()) return std::nullopt;
    const auto v = found->get<double>();
    return std::isfinite(v) ? std::optional(v) : std::nullopt;
  };
  const auto scores = [&](const json& object) -> std::optional<QualityScores> {
    const auto psnr_y = number(object, "psnrY");
    const auto psnr = number(object, "psnr");
    const auto ssim = number(object, "ssim");
    if (!psnr_y || !psnr || !ssim) return std::nullopt;
    return QualityScores{.psnr_y = *psnr_y, .psnr = *psnr, .ssim = *ssim};
  };
  if (!value.is_object()) return std::nullopt;
  const auto frames = value.find("frames");
  if (frames == value.end() || !(frames->is_number_integer() || frames->is_number_unsigned())) return std::nullopt;
  if (frames->is_number_unsigned()
          ? frames->get<std::uint64_t>() > std::numeric_limits<int>::max()
          : frames->get<std::int64_t>() < 0 || frames->get<std::int64_t>() > std::numeric_limits<int>::max()) {
    return std::nullopt;
  }
  const auto& empty = json::object();
  const auto member = [&](const char* key) -> const json& {
    const auto found = value.find(key);
    return found == value.end() ? empty : *found;
  };
  const auto mean = scores(member("mean"));
  const auto p5 = scores(member("p5"));
  const auto worst = scores(member("worstWindow"));
  const auto start = number(member("worstWindow"), "startSeconds");
  if (!mean || !p5 || !worst || !start) return std::nullopt;
  return RenditionQuality{.rendition = {},
                          .frames = static_cast<int>(frames->get<std::int64_t>()),
                          .mean = *mean,
                          .p5 = *p5,
                          .worst_window = {.start_seconds = *start, .scores = *worst}};
}

}  // namespace st
