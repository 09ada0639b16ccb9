// A fresh, migrated PostgreSQL database for each test, on the server that
// scripts/dev-stack.sh starts (ST_TEST_POSTGRES_ADMIN_URL); dropped afterwards.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "db/pool.hpp"
#include "jobs/pg_job_catalog.hpp"
#include "jobs/pg_job_queue.hpp"

namespace st::testing {

// Both sides of the job repository on one pool, for tests that play the
// API, the consumer and the workers at once: the queue's calls as they are,
// the catalog's with every tenant in scope.
class TestJobStore final : public JobQueue {
 public:
  explicit TestJobStore(ConnectionPool& pool, OutcomeAnnouncer announcer = {}, ProgressAnnouncer progress = {})
      : queue_(pool, announcer, std::move(progress)), catalog_(pool, announcer) {}

  PgJobCatalog& catalog() { return catalog_; }

  Result<CreatedJob> create(const NewJob& job) { return catalog_.create(job); }
  Result<std::vector<CreatedJob>> create_all(const std::vector<NewJob>& jobs) { return catalog_.create_all(jobs); }
  Result<Job> get(const std::string& id) { return catalog_.get(TenantScope::all(), id); }

  Result<std::optional<Job>> claim(const std::string& owner, std::chrono::seconds lease) override {
    return queue_.claim(owner, lease);
  }
  Result<void> heartbeat(const JobLease& lease, std::chrono::seconds extension) override {
    return queue_.heartbeat(lease, extension);
  }
  Result<void> record_progress(const JobLease& lease, const JobProgress& progress) override {
    return queue_.record_progress(lease, progress);
  }
  Result<void> succeed(const JobLease& lease, const JobOutcome& outcome) override {
    return queue_.succeed(lease, outcome);
  }
  // The outcome as JSON (JobOutcome's mapping), for brevity.
  Result<void> succeed(const JobLease& lease, const std::string& outcome_json) {
    return queue_.succeed(lease, outcome_from_json(nlohmann::json::parse(outcome_json)).value());
  }
  Result<JobStatus> fail(const JobLease& lease, const Error& error, bool permanent,
                         std::chrono::milliseconds retry_after) override {
    return queue_.fail(lease, error, permanent, retry_after);
  }
  Result<void> release(const JobLease& lease) override { return queue_.release(lease); }
  Result<void> defer(const JobLease& lease, std::chrono::milliseconds delay) override {
    return queue_.defer(lease, delay);
  }
  Result<std::vector<std::string>> requeue_expired() override { return queue_.requeue_expired(); }

 private:
  PgJobQueue queue_;
  PgJobCatalog catalog_;
};

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A pool on this test's database, with the job store's statements prepared.
  std::unique_ptr<ConnectionPool> make_pool(std::size_t max_size = 30);
  // Runs one SQL statement and returns the first column of the first row.
  std::string scalar(const std::string& sql);

  std::string database_;
  std::string conninfo_;
};

}  // namespace st::testing
