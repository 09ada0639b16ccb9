#include "http/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace st {

RateDecision LocalRateLimiter::take(const std::string& key, const RateLimit& limit) {
  return take_at(key, limit, Clock::now());
}

RateDecision LocalRateLimiter::take_at(const std::string& key, const RateLimit& limit, Clock::time_point now) {
  const double rate = std::max(limit.per_second, 1e-6);
  const double burst = std::max(limit.burst, 1.0);
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) forget_full(now, limit);
    it = buckets_.emplace(key, Bucket{burst, now}).first;
  }
  auto& bucket = it->second;
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  bucket.tokens = std::min(burst, bucket.tokens + std::max(elapsed, 0.0) * rate);
  bucket.updated = now;
  RateDecision decision;
  decision.limit = static_cast<std::int64_t>(burst);
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    decision.allowed = true;
  } else {
    decision.allowed = false;
    decision.retry_after_seconds = (1.0 - bucket.tokens) / rate;
  }
  decision.remaining = static_cast<std::int64_t>(std::floor(bucket.tokens));
  decision.reset_seconds = (burst - bucket.tokens) / rate;
  return decision;
}

void LocalRateLimiter::forget_full(Clock::time_point now, const RateLimit& limit) {
  const double rate = std::max(limit.per_second, 1e-6);
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double elapsed = std::chrono::duration<double>(now - it->second.updated).count();
    if (it->second.tokens + elapsed * rate >= std::max(limit.burst, 1.0)) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
  // Still full of busy keys: drop the oldest half rather than grow.
  if (buckets_.size() >= max_keys_) {
    std::size_t dropped = 0;
    for (auto it = buckets_.begin(); it != buckets_.end() && dropped < max_keys_ / 2; ++dropped)
      it = buckets_.erase(it);
  }
}

}  // namespace st
