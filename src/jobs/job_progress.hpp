// A running job's progress as the API, the SSE stream and the progress events
// show it: the step, the whole job's percent and ETA, the encode's speed and
// each rendition's percent. One JSON mapping, used for Redis, the database's
// progress_detail column and the API alike.
//
// ProgressTracker turns what the pipeline reports (steps, ffmpeg's progress)
// into a JobProgress. Its ETA is the encode's remaining media time at the
// measured speed, plus the steps after the encode, estimated as a share of the
// encode's wall time (they package, extract a poster and upload what the
// encode wrote: all proportional to it). The share is measured: everything
// outside ffmpeg is about 3% of a job with the file store and on S3 over
// loopback (docs/performance.md), so 5% leaves room for a slower store.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/progress.hpp"

namespace st {

struct JobProgress {
  std::string step;    // fetch, probe, plan, encode, package, thumbnails, publish
  double percent = 0;  // of the whole job, 0..100, never decreasing
  double encode_percent = 0;
  std::vector<RenditionProgress> renditions;
  std::int64_t frame = 0;   // frames encoded (the first rendition's)
  double speed = 0;         // the encode's speed, times real time
  double eta_seconds = -1;  // until the job ends; negative while unknown
  std::string updated_at;   // ISO 8601, UTC, when this was measured
};

nlohmann::json to_json(const JobProgress& progress);
// Tolerant of what another version wrote: unknown fields ignored, a wrong
// type or a value out of range gives nullopt (the caller shows no live figures).
std::optional<JobProgress> progress_from_json(const nlohmann::json& json);

// "2026-12-02T10:00:00.123Z" for `at`.
std::string iso8601_utc(std::chrono::system_clock::time_point at);

class ProgressTracker {
 public:
  using Clock = std::chrono::steady_clock;
  // `post_encode_share`: the steps after the encode, as a share of its wall time.
  explicit ProgressTracker(double post_encode_share = 0.05) : post_encode_share_(post_encode_share) {}

  void step_started(const std::string& step, Clock::time_point now = Clock::now());
  void encode_progress(const EncodeProgress& progress, const ProgressEstimate& estimate,
                       Clock::time_point now = Clock::now());
  // The job's progress as of `now`.
  [[nodiscard]] JobProgress snapshot(Clock::time_point now = Clock::now());

 private:
  double post_encode_share_;
  std::optional<Clock::time_point> started_;
  std::optional<Clock::time_point> encode_started_;
  std::optional<Clock::time_point> encode_ended_;
  std::optional<Clock::time_point> step_started_at_;
  double encode_seconds_estimate_ = 0;  // wall time the whole encode takes, as measured so far
  JobProgress current_;
};

}  // namespace st
