#include "jobs/job_progress.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace st {
namespace {

// The fixed share of the job each step before the encode shows while the
// encode's own figures are not known yet.
double floor_percent(const std::string& step) {
  if (step == "fetch") return 0;
  if (step == "probe") return 1;
  if (step == "plan") return 2;
  return 3;
}

double rounded(double value, double scale = 10) {
  return std::round(value * scale) / scale;
}

}  // namespace

std::string iso8601_utc(std::chrono::system_clock::time_point at) {
  const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(at);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(at - seconds).count();
  const std::time_t t = std::chrono::system_clock::to_time_t(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

nlohmann::json to_json(const JobProgress& p) {
  auto renditions = nlohmann::json::array();
  for (const auto& r : p.renditions) {
    renditions.push_back({{"name", r.name}, {"percent", rounded(r.percent)}, {"segments", r.segments}});
  }
  return {{"step", p.step},
          {"percent", rounded(p.percent)},
          {"encodePercent", rounded(p.encode_percent)},
          {"renditions", renditions},
          {"frame", p.frame},
          {"speed", rounded(p.speed, 100)},
          {"etaSeconds", p.eta_seconds < 0 ? nlohmann::json(nullptr) : nlohmann::json(rounded(p.eta_seconds))},
          {"updatedAt", p.updated_at}};
}

std::optional<JobProgress> progress_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  const auto text = [&j](const char* key, std::string& out, std::size_t max) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().size() > max) return false;
    out = it->get<std::string>();
    return true;
  };
  const auto number = [](const nlohmann::json& from, const char* key, double& out, double low, double high) {
    const auto it = from.find(key);
    if (it == from.end() || !it->is_number()) return false;
    out = it->get<double>();
    return std::isfinite(out) && out >= low && out <= high;
  };
  JobProgress p;
  double frame = 0;
  if (!text("step", p.step, 32) || !text("updatedAt", p.updated_at, 40) || !number(j, "percent", p.percent, 0, 100) ||
      !number(j, "encodePercent", p.encode_percent, 0, 100) || !number(j, "frame", frame, 0, 1e12) ||
      !number(j, "speed", p.speed, 0, 1e6)) {
    return std::nullopt;
  }
  p.frame = static_cast<std::int64_t>(frame);
  if (const auto eta = j.find("etaSeconds"); eta != j.end() && !eta->is_null()) {
    if (!number(j, "etaSeconds", p.eta_seconds, 0, 1e9)) return std::nullopt;
  }
  const auto renditions = j.find("renditions");
  if (renditions == j.end() || !renditions->is_array() || renditions->size() > 64) return std::nullopt;
  for (const auto& r : *renditions) {
    RenditionProgress out;
    double segments = 0;
    if (!r.is_object() || !r.contains("name") || !r["name"].is_string() ||
        r["name"].get_ref<const std::string&>().size() > 32 || !number(r, "percent", out.percent, 0, 100) ||
        !number(r, "segments", segments, 0, 1e9)) {
      return std::nullopt;
    }
    out.name = r["name"].get<std::string>();
    out.segments = static_cast<int>(segments);
    p.renditions.push_back(std::move(out));
  }
  return p;
}

void ProgressTracker::step_started(const std::string& step, Clock::time_point now) {
  if (!started_) started_ = now;
  if (step == "encode") encode_started_ = now;
  if (encode_started_ && !encode_ended_ && step != "encode") {
    encode_ended_ = now;
    encode_seconds_estimate_ = std::chrono::duration<double>(now - *encode_started_).count();
    current_.encode_percent = 100;
    for (auto& r : current_.renditions) r.percent = 100;
  }
  step_started_at_ = now;
  current_.step = step;
  current_.percent = std::max(current_.percent, floor_percent(step));
}

void ProgressTracker::encode_progress(const EncodeProgress& progress, const ProgressEstimate& estimate,
                                      Clock::time_point now) {
  if (!encode_started_) step_started("encode", now);
  current_.encode_percent = estimate.percent;
  current_.renditions = estimate.renditions;
  current_.frame = progress.frame;
  current_.speed = progress.speed;
  const double elapsed = std::chrono::duration<double>(now - *encode_started_).count();
  if (estimate.eta_seconds >= 0) encode_seconds_estimate_ = elapsed + estimate.eta_seconds;
}

JobProgress ProgressTracker::snapshot(Clock::time_point now) {
  if (!started_) started_ = now;
  const double elapsed = std::chrono::duration<double>(now - *started_).count();
  double remaining = -1;
  if (encode_started_ && encode_seconds_estimate_ > 0) {
    const double post = post_encode_share_ * encode_seconds_estimate_;
    if (!encode_ended_) {
      const double encoded = std::chrono::duration<double>(now - *encode_started_).count();
      remaining = std::max(0.0, encode_seconds_estimate_ - encoded) + post;
    } else {
      const double after = std::chrono::duration<double>(now - *encode_ended_).count();
      // Past the estimate the steps are nearly done: say so, not "0".
      remaining = std::max(post - after, 0.05 * post);
    }
  }
  current_.eta_seconds = remaining;
  if (remaining >= 0 && elapsed + remaining > 0) {
    current_.percent = std::max(current_.percent, std::min(99.0, 100.0 * elapsed / (elapsed + remaining)));
  }
  current_.updated_at = iso8601_utc(std::chrono::system_clock::now());
  return current_;
}

}  // namespace st
