#include "jobs/cached_job_store.hpp"

namespace st {
namespace {

template <typename T>
T invalidating(JobStatusCache& cache, const std::string& id, T result) {
  // Whatever the answer (a fencing conflict means someone else changed it),
  // the cached record may be stale now.
  cache.invalidate({id});
  return result;
}

}  // namespace

Result<CreatedJob> CachedJobCatalog::create(const NewJob& job) {
  auto created = inner_.create(job);
  if (created && !created->superseded.empty()) cache_.invalidate(created->superseded);
  return created;
}

Result<std::vector<CreatedJob>> CachedJobCatalog::create_all(const std::vector<NewJob>& jobs) {
  auto created = inner_.create_all(jobs);
  if (created) {
    std::vector<std::string> superseded;
    for (const auto& c : *created) superseded.insert(superseded.end(), c.superseded.begin(), c.superseded.end());
    if (!superseded.empty()) cache_.invalidate(superseded);
  }
  return created;
}

Result<Job> CachedJobCatalog::get(const TenantScope& scope, const std::string& id) {
  auto cached = cache_.get(id);
  if (cached && cached->job) {
    // Another tenant's job reads exactly like one that does not exist: ask the catalog.
    if (scope.allows(cached->job->spec.tenant_id)) return *cached->job;
    return inner_.get(scope, id);
  }
  auto job = inner_.get(scope, id);
  if (job && cached) (void)cache_.put(*job, cached->version);
  return job;
}

Result<Job> CachedJobCatalog::cancel(const TenantScope& scope, const std::string& id) {
  return invalidating(cache_, id, inner_.cancel(scope, id));
}

Result<Job> CachedJobCatalog::retry(const TenantScope& scope, const std::string& id) {
  return invalidating(cache_, id, inner_.retry(scope, id));
}

Result<std::optional<Job>> CachedJobQueue::claim(const std::string& owner, std::chrono::seconds lease) {
  auto claimed = inner_.claim(owner, lease);
  if (claimed && *claimed) cache_.invalidate({(*claimed)->id});
  return claimed;
}

Result<void> CachedJobQueue::record_progress(const JobLease& lease, const JobProgress& progress) {
  // The record's progress column changes too; the live figures come from LiveProgress anyway.
  return invalidating(cache_, lease.job_id, inner_.record_progress(lease, progress));
}

Result<void> CachedJobQueue::succeed(const JobLease& lease, const JobOutcome& outcome) {
  return invalidating(cache_, lease.job_id, inner_.succeed(lease, outcome));
}

Result<JobStatus> CachedJobQueue::fail(const JobLease& lease, const Error& error, bool permanent,
                                       std::chrono::milliseconds retry_after) {
  return invalidating(cache_, lease.job_id, inner_.fail(lease, error, permanent, retry_after));
}

Result<void> CachedJobQueue::release(const JobLease& lease) {
  return invalidating(cache_, lease.job_id, inner_.release(lease));
}

Result<void> CachedJobQueue::defer(const JobLease& lease, std::chrono::milliseconds delay) {
  return invalidating(cache_, lease.job_id, inner_.defer(lease, delay));
}

Result<std::vector<std::string>> CachedJobQueue::requeue_expired() {
  auto requeued = inner_.requeue_expired();
  if (requeued && !requeued->empty()) cache_.invalidate(*requeued);
  return requeued;
}

}  // namespace st
