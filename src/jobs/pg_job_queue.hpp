// JobQueue on PostgreSQL: the workers' statements, one per transition.
#pragma once

#include "db/pool.hpp"
#include "jobs/job_queue.hpp"
#include "jobs/outbox.hpp"

namespace st {

class PgJobQueue final : public JobQueue {
 public:
  // The pool's connections must have been prepared with prepare_statements().
  // With an `announcer`, every final status also writes the event that
  // announces it to the outbox, in the same transaction.
  // With a `progress` announcer, record_progress() announces each tens of percent.
  explicit PgJobQueue(ConnectionPool& pool, OutcomeAnnouncer announcer = {}, ProgressAnnouncer progress = {})
      : pool_(pool), announcer_(std::move(announcer)), progress_announcer_(std::move(progress)) {}

  // Prepares this repository's statements on a new connection (ConnectionPool::Options::on_connect).
  static void prepare_statements(pqxx::connection& connection);

  Result<std::optional<Job>> claim(const std::string& owner, std::chrono::seconds lease) override;
  Result<void> heartbeat(const JobLease& lease, std::chrono::seconds extension) override;
  Result<void> record_progress(const JobLease& lease, const JobProgress& progress) override;
  Result<void> succeed(const JobLease& lease, const JobOutcome& outcome) override;
  Result<JobStatus> fail(const JobLease& lease, const Error& error, bool permanent,
                         std::chrono::milliseconds retry_after) override;
  Result<void> release(const JobLease& lease) override;
  Result<void> defer(const JobLease& lease, std::chrono::milliseconds delay) override;
  Result<std::vector<std::string>> requeue_expired() override;

 private:
  ConnectionPool& pool_;
  OutcomeAnnouncer announcer_;
  ProgressAnnouncer progress_announcer_;
};

}  // namespace st
