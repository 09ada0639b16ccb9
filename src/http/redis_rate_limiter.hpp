// Rate limits shared by every pod: the generic cell rate algorithm (GCRA) in
// one Redis script. Each key stores its theoretical arrival time; Redis's own
// clock (TIME) decides, so pods with drifting clocks agree. Equivalent to a
// token bucket of `burst` tokens refilled at `per_second`.
//
// While Redis is away the process's own buckets decide (each pod then admits
// up to the whole policy: the limit is per pod until Redis is back), and
// RedisFallbackCounters::rate_limit counts the requests so decided.
#pragma once

#include "http/rate_limiter.hpp"
#include "redis/fallback_counters.hpp"
#include "redis/redis_client.hpp"

namespace st {

class RedisRateLimiter final : public RateLimiter {
 public:
  RedisRateLimiter(RedisClient& redis, RateLimiter& fallback, RedisFallbackCounters& counters)
      : redis_(redis), fallback_(fallback), counters_(counters) {}
  RateDecision take(const std::string& key, const RateLimit& limit) override;

 private:
  RedisClient& redis_;
  RateLimiter& fallback_;
  RedisFallbackCounters& counters_;
};

}  // namespace st
