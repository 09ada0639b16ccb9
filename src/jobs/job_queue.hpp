// The workers' side of the job repository: claim a job, keep its lease, record
// how it ended. Every call that acts for a lease names its fencing token: a
// worker that lost its lease (it stalled and the reaper requeued its job,
// another worker claimed it, an operator cancelled it) gets kConflict and
// must stop, whatever it thinks it is doing. The transitions are those of
// jobs/job_transitions.hpp.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "jobs/job.hpp"
#include "jobs/job_progress.hpp"
#include "util/error.hpp"

namespace st {

// A running job as its worker knows it: the id plus the token of its lease.
struct JobLease {
  std::string job_id;
  std::int64_t fencing_token = 0;
};

class JobQueue {
 public:
  virtual ~JobQueue() = default;

  // The next job to run, now running under a lease of `lease` for `owner`;
  // nullopt when nothing is claimable. Fair across tenants: a tenant at its
  // policy's running cap is skipped, and among the others the one whose job
  // was last taken longest ago goes first (then priority, then age).
  virtual Result<std::optional<Job>> claim(const std::string& owner, std::chrono::seconds lease) = 0;
  // Extends the lease.
  virtual Result<void> heartbeat(const JobLease& lease, std::chrono::seconds extension) = 0;
  // Persists the job's progress (its percent and detail). The first report at
  // or past each tens of percent is also announced on the progress topic, in
  // the same transaction: at most eleven progress events per job.
  virtual Result<void> record_progress(const JobLease& lease, const JobProgress& progress) = 0;
  virtual Result<void> succeed(const JobLease& lease, const JobOutcome& outcome) = 0;
  // A failure: `permanent` ones end in `failed`; others are retried after
  // `retry_after` while attempts remain, and end in `dead` when none do.
  virtual Result<JobStatus> fail(const JobLease& lease, const Error& error, bool permanent,
                                 std::chrono::milliseconds retry_after) = 0;
  // Gives a running job back (graceful shutdown): queued again, attempt not counted.
  virtual Result<void> release(const JobLease& lease) = 0;
  // Like release, but claimable again only after `delay`: the job's video is
  // locked by another job, so this one waits its turn.
  virtual Result<void> defer(const JobLease& lease, std::chrono::milliseconds delay) = 0;
  // Requeues running jobs whose lease expired (their worker died); returns their ids.
  virtual Result<std::vector<std::string>> requeue_expired() = 0;
};

}  // namespace st
