// The Job entity. Its state machine is jobs/job_transitions.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "jobs/job_outcome.hpp"
#include "jobs/job_progress.hpp"
#include "media/media_info.hpp"

namespace st {

enum class JobStatus { kQueued, kRunning, kSucceeded, kFailed, kCancelled, kDead };

std::string_view to_string(JobStatus status);
std::optional<JobStatus> parse_job_status(std::string_view text);

// The error code of a job cancelled because a newer source version of its
// video arrived; announced with the status "superseded".
inline constexpr std::string_view kSupersededErrorCode = "superseded";

// True for statuses no worker will change again (an operator's retry can).
bool is_terminal(JobStatus status);

struct JobSource {
  std::string bucket;  // empty for a local path or the embedded file store
  std::string key;
  std::optional<std::int64_t> size_bytes;
  std::string checksum;
};

// Where a job's request came from, carried back on the event that announces its
// outcome: MassTransit's correlation headers and the W3C trace context.
struct JobOrigin {
  std::string message_id;
  std::string correlation_id;
  std::string conversation_id;
  std::string traceparent;
};

// A subtitle file (SubRip or WebVTT) uploaded beside the master, in its bucket.
struct SubtitleSidecar {
  std::string key;
  std::string language;  // BCP 47, normalised ("fre" and "fr" are "fr")
  SubtitleKind kind = SubtitleKind::kSubtitle;
};

inline constexpr std::size_t kMaxSubtitleSidecars = 16;

// Reads the `subtitles` array of an upload event or an API request:
// [{"key", "language", "kind"}], at most kMaxSubtitleSidecars. Each problem is
// appended to `problems`, naming its entry; the entries returned are valid.
std::vector<SubtitleSidecar> subtitle_sidecars_from_json(const nlohmann::json& list,
                                                         std::vector<std::string>& problems);
nlohmann::json to_json(const std::vector<SubtitleSidecar>& sidecars);

// What a client asks for; the store adds the rest.
struct NewJob {
  std::string tenant_id;
  std::string video_id;
  std::string source_version;
  JobSource source;
  std::vector<std::string> profile_set;
  std::vector<SubtitleSidecar> subtitles;
  std::string output_prefix;
  int priority = 0;
  int max_attempts = 3;
  JobOrigin origin;
};

struct Job {
  std::string id;
  NewJob spec;
  JobStatus status = JobStatus::kQueued;
  int attempt = 0;
  std::int64_t fencing_token = 0;
  std::string lease_owner;
  double progress_percent = 0;                 // 0..100, of the whole job, as last persisted
  std::optional<JobProgress> progress_detail;  // as last persisted (the live figures are in LiveProgress)
  std::string error_code;
  std::string error_message;
  std::optional<JobOutcome> outcome;  // of a succeeded job
  std::string created_at;             // ISO 8601, as the database keeps it
  std::string updated_at;
  std::string started_at;   // empty until first claimed
  std::string finished_at;  // empty until final
};

}  // namespace st
