#include "pipeline/progress.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace st {
namespace {

template <typename T>
std::optional<T> parse_number(std::string_view text) {
  T value{};
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<EncodeProgress> ProgressParser::feed(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  const auto eq = line.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  const auto key = line.substr(0, eq);
  auto value = line.substr(eq + 1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);

  if (key == "out_time_us" || key == "out_time_ms") {
    // Both keys carry microseconds (out_time_ms is misnamed in ffmpeg); N/A before the first packet.
    if (const auto us = parse_number<std::int64_t>(value); us && *us >= 0) {
      current_.encoded_seconds = static_cast<double>(*us) / 1e6;
    }
  } else if (key == "frame") {
    if (const auto frame = parse_number<std::int64_t>(value)) current_.frame = *frame;
  } else if (key == "speed") {
    if (value.ends_with('x')) value.remove_suffix(1);
    current_.speed = parse_number<double>(value).value_or(0.0);
  } else if (key == "progress") {
    current_.finished = value == "end";
    return current_;
  }
  return std::nullopt;
}

ProgressEstimate estimate(const EncodeProgress& progress, double total_seconds, double speed) {
  ProgressEstimate out;
  if (speed <= 0) speed = progress.speed;
  if (total_seconds <= 0) return out;
  out.percent = progress.finished ? 100.0 : std::clamp(100.0 * progress.encoded_seconds / total_seconds, 0.0, 100.0);
  if (progress.finished) {
    out.eta_seconds = 0;
  } else if (speed > 0) {
    out.eta_seconds = std::max(0.0, total_seconds - progress.encoded_seconds) / speed;
  }
  return out;
}

double RecentSpeed::update(double encoded_seconds, Clock::time_point now) {
  // Output time only grows; a report that says otherwise restarts the window.
  if (!samples_.empty() && (encoded_seconds < samples_.back().encoded_seconds || now < samples_.back().at)) {
    samples_.clear();
  }
  samples_.push_back({now, encoded_seconds});
  // Keep one sample at or beyond the window's start, so the span stays near the window.
  while (samples_.size() > 2 && now - samples_[1].at >= window_) samples_.pop_front();
  const auto& first = samples_.front();
  const double wall = std::chrono::duration<double>(now - first.at).count();
  if (wall < 1.0) return 0;
  return (encoded_seconds - first.encoded_seconds) / wall;
}

}  // namespace st
