// The job repositories with the status cache in front (the composition root
// wraps the PostgreSQL ones in these when Redis is configured):
//
//   CachedJobCatalog   get() answers from the cache, else from the catalog
//                      (and caches what it read); cancel, retry and creating
//                      a newer source version (which supersedes older jobs)
//                      invalidate what they changed.
//   CachedJobQueue     every transition a worker makes invalidates its job.
//
// A cache that fails is skipped: the call goes to PostgreSQL.
#pragma once

#include "jobs/job_catalog.hpp"
#include "jobs/job_queue.hpp"
#include "jobs/job_state_cache.hpp"

namespace st {

class CachedJobCatalog final : public JobCatalog {
 public:
  CachedJobCatalog(JobCatalog& inner, JobStatusCache& cache) : inner_(inner), cache_(cache) {}

  Result<CreatedJob> create(const NewJob& job) override;
  Result<std::vector<CreatedJob>> create_all(const std::vector<NewJob>& jobs) override;
  Result<Job> get(const TenantScope& scope, const std::string& id) override;
  Result<JobPage> list(const TenantScope& scope, const JobQuery& query) override { return inner_.list(scope, query); }
  Result<Job> cancel(const TenantScope& scope, const std::string& id) override;
  Result<Job> retry(const TenantScope& scope, const std::string& id) override;
  Result<std::int64_t> queued_count(const std::string& tenant) override { return inner_.queued_count(tenant); }

 private:
  JobCatalog& inner_;
  JobStatusCache& cache_;
};

class CachedJobQueue final : public JobQueue {
 public:
  CachedJobQueue(JobQueue& inner, JobStatusCache& cache) : inner_(inner), cache_(cache) {}

  Result<std::optional<Job>> claim(const std::string& owner, std::chrono::seconds lease) override;
  Result<void> heartbeat(const JobLease& lease, std::chrono::seconds extension) override {
    return inner_.heartbeat(lease, extension);
  }
  Result<void> record_progress(const JobLease& lease, const JobProgress& progress) override;
  Result<void> succeed(const JobLease& lease, const JobOutcome& outcome) override;
  Result<JobStatus> fail(const JobLease& lease, const Error& error, bool permanent,
                         std::chrono::milliseconds retry_after) override;
  Result<void> release(const JobLease& lease) override;
  Result<void> defer(const JobLease& lease, std::chrono::milliseconds delay) override;
  Result<std::vector<std::string>> requeue_expired() override;

 private:
  JobQueue& inner_;
  JobStatusCache& cache_;
};

}  // namespace st
