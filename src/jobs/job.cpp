#include "jobs/job.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace st {
namespace {

constexpr std::array<std::pair<JobStatus, std::string_view>, 6> kNames = {{
    {JobStatus::kQueued, "queued"},
    {JobStatus::kRunning, "running"},
    {JobStatus::kSucceeded, "succeeded"},
    {JobStatus::kFailed, "failed"},
    {JobStatus::kCancelled, "cancelled"},
    {JobStatus::kDead, "dead"},
}};

}  // namespace

std::string_view to_string(JobStatus status) {
  for (const auto& [value, name] : kNames) {
    if (value == status) return name;
  }
  return "unknown";
}

std::optional<JobStatus> parse_job_status(std::string_view text) {
  for (const auto& [value, name] : kNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

bool is_terminal(JobStatus status) {
  return status == JobStatus::kSucceeded || status == JobStatus::kFailed || status == JobStatus::kCancelled ||
         status == JobStatus::kDead;
}

}  // namespace st
