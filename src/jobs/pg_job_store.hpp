// JobStore on PostgreSQL: all SQL about jobs lives in pg_job_store.cpp.
#pragma once

#include "db/pool.hpp"
#include "jobs/job_store.hpp"

namespace st {

class PgJobStore final : public JobStore {
 public:
  // The pool's connections must have been prepared with prepare_statements().
  // With an `announcer`, every final status change also writes the event that
  // announces it to the outbox, in the same transaction.
  explicit PgJobStore(ConnectionPool& pool, OutcomeAnnouncer announcer = {})
      : pool_(pool), announcer_(std::move(announcer)) {}

  // Prepares this store's statements on a new connection (ConnectionPool::Options::on_connect).
  static void prepare_statements(pqxx::connection& connection);

  Result<CreatedJob> create(const NewJob& job) override;
  Result<std::vector<CreatedJob>> create_all(const std::vector<NewJob>& jobs) override;
  Result<Job> get(const std::string& id) override;
  Result<std::optional<Job>> claim(const std::string& owner, std::chrono::seconds lease) override;
  Result<void> heartbeat(const JobLease& lease, std::chrono::seconds extension, double progress) override;
  Result<void> succeed(const JobLease& lease, const std::string& result_json) override;
  Result<JobStatus> fail(const JobLease& lease, const Error& error, bool permanent,
                         std::chrono::milliseconds retry_after) override;
  Result<void> release(const JobLease& lease) override;
  Result<std::vector<std::string>> requeue_expired() override;

 private:
  ConnectionPool& pool_;
  OutcomeAnnouncer announcer_;
};

}  // namespace st
