// The job state machine: every status change a job can make, in one table.
// Each store statement that changes a status takes its `from` list from here
// (sql_statuses), so the SQL cannot drift from what this file says.
//
//   queued ──claim──> running ──succeed──> succeeded
//     ^  │              │ ├──fail (permanent)──> failed
//     │  │              │ ├──fail (attempts left)──> queued (after a backoff)
//     │  │              │ ├──fail (no attempts left)──> dead
//     │  │              │ ├──release (the worker stops)──> queued
//     │  │              │ └──requeue (the lease expired)──> queued (or dead)
//     │  └──cancel──> cancelled <──cancel── running
//     └────retry── failed, dead, cancelled
//
// Transitions out of `running` are fenced: the statement names the fencing
// token of the lease it acts for, and a worker whose token moved on (its job
// was requeued, reclaimed or cancelled) changes nothing. claim, release,
// requeue and cancel move the token on.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/job.hpp"

namespace st {

enum class JobEvent { kClaim, kSucceed, kFail, kRelease, kRequeue, kCancel, kRetry };

struct JobTransition {
  JobEvent event;
  std::string_view name;
  std::vector<JobStatus> from;
  std::vector<JobStatus> to;
  bool fenced;        // acts for a lease, checked by its fencing token
  bool raises_token;  // the current lease, if any, is void afterwards
};

// Every transition, in the order of the diagram above.
const std::vector<JobTransition>& job_transitions();
const JobTransition& transition_of(JobEvent event);

// True when some transition leads from `from` to `to`.
bool is_legal_transition(JobStatus from, JobStatus to);
// True when `event` may happen to a job that is `from`.
bool can_happen(JobEvent event, JobStatus from);

// "'queued', 'running'": the statuses as a SQL list of job_status literals.
std::string sql_statuses(std::span<const JobStatus> statuses);
// The `from` statuses of `event`, as a SQL list.
std::string sql_from(JobEvent event);

}  // namespace st
