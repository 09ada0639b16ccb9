// How often each use of Redis fell back to its substitute because Redis was
// away (exposed on /metrics as st_redis_fallbacks_total{use="..."}).
#pragma once

#include <atomic>
#include <cstdint>

namespace st {

struct RedisFallbackCounters {
  std::atomic<std::int64_t> video_lock{0};    // a PostgreSQL advisory lock instead
  std::atomic<std::int64_t> rate_limit{0};    // the process's own buckets instead
  std::atomic<std::int64_t> progress{0};      // progress only in PostgreSQL
  std::atomic<std::int64_t> status_cache{0};  // the job read from (or not cached after) PostgreSQL
};

}  // namespace st
