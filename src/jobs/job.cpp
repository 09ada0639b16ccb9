#include "jobs/job.hpp"

#include <algorithm>
#include <array>
#include <cmath>
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

bool is_legal_transition(JobStatus from, JobStatus to) {
  using S = JobStatus;
  switch (from) {
    case S::kQueued:
      return to == S::kRunning || to == S::kCancelled;
    case S::kRunning:
      return to == S::kSucceeded || to == S::kFailed || to == S::kQueued || to == S::kDead || to == S::kCancelled;
    case S::kFailed:
    case S::kDead:
    case S::kCancelled:
      return to == S::kQueued;  // an operator's retry
    case S::kSucceeded:
      return false;
  }
  return false;
}

bool is_terminal(JobStatus status) {
  return status == JobStatus::kSucceeded || status == JobStatus::kFailed || status == JobStatus::kCancelled ||
         status == JobStatus::kDead;
}

}  // namespace st
