#include "jobs/job_transitions.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace st {

const std::vector<JobTransition>& job_transitions() {
  using S = JobStatus;
  static const std::vector<JobTransition> kTable = {
      {JobEvent::kClaim, "claim", {S::kQueued}, {S::kRunning}, false, true},
      {JobEvent::kSucceed, "succeed", {S::kRunning}, {S::kSucceeded}, true, false},
      {JobEvent::kFail, "fail", {S::kRunning}, {S::kFailed, S::kQueued, S::kDead}, true, false},
      {JobEvent::kRelease, "release", {S::kRunning}, {S::kQueued}, true, true},
      {JobEvent::kRequeue, "requeue", {S::kRunning}, {S::kQueued, S::kDead}, false, true},
      {JobEvent::kCancel, "cancel", {S::kQueued, S::kRunning}, {S::kCancelled}, false, true},
      {JobEvent::kRetry, "retry", {S::kFailed, S::kDead, S::kCancelled}, {S::kQueued}, false, false},
  };
  return kTable;
}

const JobTransition& transition_of(JobEvent event) {
  for (const auto& t : job_transitions()) {
    if (t.event == event) return t;
  }
  throw std::logic_error("a job event without a transition");
}

bool is_legal_transition(JobStatus from, JobStatus to) {
  return std::any_of(job_transitions().begin(), job_transitions().end(), [&](const JobTransition& t) {
    return std::find(t.from.begin(), t.from.end(), from) != t.from.end() &&
           std::find(t.to.begin(), t.to.end(), to) != t.to.end();
  });
}

bool can_happen(JobEvent event, JobStatus from) {
  const auto& t = transition_of(event);
  return std::find(t.from.begin(), t.from.end(), from) != t.from.end();
}

std::string sql_statuses(std::span<const JobStatus> statuses) {
  std::string out;
  for (const auto status : statuses) {
    out += fmt::format("{}'{}'::job_status", out.empty() ? "" : ", ", to_string(status));
  }
  return out;
}

std::string sql_from(JobEvent event) {
  return sql_statuses(transition_of(event).from);
}

}  // namespace st
