// The repository of jobs: the only interface through which jobs change.
//
// Every status change is one statement that also checks the current status and,
// for a running job, the fencing token of the lease: a worker that lost its
// lease (it stalled, the reaper requeued its job, another worker claimed it)
// gets kConflict and must stop, whatever it thinks it is doing.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "jobs/job.hpp"
#include "util/error.hpp"

namespace st {

struct CreatedJob {
  Job job;
  bool created = false;  // false: the same source version already had a job
};

// A running job as its worker knows it: the id plus the token of its lease.
struct JobLease {
  std::string job_id;
  std::int64_t fencing_token = 0;
};

// An event to publish after the transaction that stored it commits (the
// transactional outbox): the store writes it in the same transaction as the
// status change it announces, and messaging/outbox_relay publishes it.
struct OutboxMessage {
  std::string topic;
  std::string key;
  std::string payload;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Makes the event that announces a job's final status (succeeded, failed, dead).
using OutcomeAnnouncer = std::function<OutboxMessage(const Job&)>;

class JobStore {
 public:
  virtual ~JobStore() = default;

  // Idempotent on (tenant, video, source version).
  virtual Result<CreatedJob> create(const NewJob& job) = 0;
  // Many at once, in one transaction (the Kafka consumer's batches); all or nothing.
  virtual Result<std::vector<CreatedJob>> create_all(const std::vector<NewJob>& jobs) = 0;
  virtual Result<Job> get(const std::string& id) = 0;

  // The next claimable job (queued, due, highest priority then oldest), now
  // running under a lease of `lease` for `owner`; nullopt when there is none.
  virtual Result<std::optional<Job>> claim(const std::string& owner, std::chrono::seconds lease) = 0;
  // Extends the lease and records progress (0..1).
  virtual Result<void> heartbeat(const JobLease& lease, std::chrono::seconds extension, double progress) = 0;
  virtual Result<void> succeed(const JobLease& lease, const std::string& result_json) = 0;
  // A failure: `permanent` ones end in `failed`; others are retried after
  // `retry_after` while attempts remain, and end in `dead` when none do.
  virtual Result<JobStatus> fail(const JobLease& lease, const Error& error, bool permanent,
                                 std::chrono::milliseconds retry_after) = 0;
  // Gives a running job back (graceful shutdown): queued again, attempt not counted.
  virtual Result<void> release(const JobLease& lease) = 0;
  // Requeues running jobs whose lease expired (their worker died); returns their ids.
  virtual Result<std::vector<std::string>> requeue_expired() = 0;
};

}  // namespace st
