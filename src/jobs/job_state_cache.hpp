// What the API reads without a database round trip: job records cached for a
// few seconds, and the live progress of running jobs. Both are shared by every
// pod (RedisJobState) and both are only ever a copy: PostgreSQL has the truth,
// and every status change invalidates the cached record at once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "jobs/job.hpp"
#include "jobs/job_progress.hpp"
#include "util/error.hpp"

namespace st {

// A job's record as the cache keeps it: every field of Job, one mapping.
nlohmann::json to_record_json(const Job& job);
std::optional<Job> job_from_record_json(const nlohmann::json& json);

// A cached record and the invalidation count it was read under.
struct CachedJob {
  std::optional<Job> job;  // nullopt: not cached
  std::string version;     // pass to put(): a put after an invalidation is dropped
};

class JobStatusCache {
 public:
  virtual ~JobStatusCache() = default;
  virtual Result<CachedJob> get(const std::string& job_id) = 0;
  // Caches `job` unless it was invalidated since `version` was read (a reader
  // that read the database before a status change must not cache the old status).
  virtual Result<void> put(const Job& job, const std::string& version) = 0;
  // The job's status changed: drop the cached record. Never fails: an
  // invalidation that cannot reach the cache now is retried before the cache
  // is read or written again.
  virtual void invalidate(const std::vector<std::string>& job_ids) = 0;
};

class LiveProgress {
 public:
  virtual ~LiveProgress() = default;
  virtual Result<void> publish(const std::string& job_id, const JobProgress& progress) = 0;
  virtual Result<std::optional<JobProgress>> read(const std::string& job_id) = 0;
};

}  // namespace st
