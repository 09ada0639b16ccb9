// The video locks the workers use: Redis while it answers, a PostgreSQL
// advisory lock while it does not.
//
// Switching stores must not let two jobs of one video run: a Redis lock is
// granted only while no advisory lock is held for the video (a job that began
// while Redis was away still runs), and a job whose Redis lock cannot be
// renewed because Redis went away takes the advisory lock too, or stops when
// another job has it.
#pragma once

#include "locks/pg_video_locks.hpp"
#include "locks/redis_video_locks.hpp"
#include "redis/fallback_counters.hpp"

namespace st {

class FallbackVideoLocks final : public VideoLocks {
 public:
  // `redis` may be null (no Redis configured): advisory locks only.
  FallbackVideoLocks(RedisVideoLocks* redis, PgVideoLocks& postgres, RedisFallbackCounters& counters)
      : redis_(redis), postgres_(postgres), counters_(counters) {}
  Result<std::unique_ptr<VideoLock>> try_acquire(const std::string& tenant, const std::string& video) override;

 private:
  RedisVideoLocks* redis_;
  PgVideoLocks& postgres_;
  RedisFallbackCounters& counters_;
};

}  // namespace st
