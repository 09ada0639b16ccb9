// JobStatusCache and LiveProgress in Redis:
//
//   job:{id}        the job's record (to_record_json), for `cache_ttl`
//   jobver:{id}     how many times the record was invalidated; a put compares
//                   it (in a script) so that a record read before a status
//                   change is never cached after the change
//   progress:{id}   the running job's JobProgress, for `progress_ttl`
//
// Invalidations that fail (Redis away) are kept, bounded, and replayed before
// the cache is read or written again; cached records also expire by
// themselves, so nothing stale outlives `cache_ttl`.
#pragma once

#include <chrono>
#include <mutex>
#include <set>

#include "jobs/job_state_cache.hpp"
#include "redis/fallback_counters.hpp"
#include "redis/redis_client.hpp"

namespace st {

struct RedisJobStateOptions {
  std::chrono::milliseconds cache_ttl{30000};
  std::chrono::milliseconds progress_ttl{std::chrono::minutes(10)};
  std::size_t max_pending_invalidations = 100000;
};

class RedisJobState final : public JobStatusCache, public LiveProgress {
 public:
  RedisJobState(RedisClient& redis, RedisJobStateOptions options, RedisFallbackCounters& counters)
      : redis_(redis), options_(options), counters_(counters) {}

  Result<CachedJob> get(const std::string& job_id) override;
  Result<void> put(const Job& job, const std::string& version) override;
  void invalidate(const std::vector<std::string>& job_ids) override;

  Result<void> publish(const std::string& job_id, const JobProgress& progress) override;
  Result<std::optional<JobProgress>> read(const std::string& job_id) override;

 private:
  // Replays failed invalidations; false while some remain.
  bool replay_pending();
  Result<void> invalidate_now(const std::string& job_id);

  RedisClient& redis_;
  RedisJobStateOptions options_;
  RedisFallbackCounters& counters_;
  std::mutex mutex_;
  std::set<std::string> pending_;
  bool overflowed_ = false;  // more failed than we could remember: cache nothing until cache_ttl passed
  std::chrono::steady_clock::time_point trust_after_{};
};

}  // namespace st
