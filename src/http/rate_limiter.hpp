// Request rate limits: token buckets by key ("subject:...", "tenant:...").
//
// Behind an interface so that the limit can be shared by every pod (Redis)
// or kept per process (LocalRateLimiter, here).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace st {

struct RateLimit {
  double per_second = 10;  // the refill rate
  double burst = 10;       // the bucket's size: requests allowed at once
};

struct RateDecision {
  bool allowed = true;
  std::int64_t limit = 0;          // the bucket's size
  std::int64_t remaining = 0;      // whole requests left now
  double retry_after_seconds = 0;  // when refused: until one token is back
  double reset_seconds = 0;        // until the bucket is full again
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Takes one token from `key`'s bucket if it has one.
  virtual RateDecision take(const std::string& key, const RateLimit& limit) = 0;
};

// One process's buckets, in memory. Thread-safe; buckets that are full again
// are forgotten once there are more than `max_keys`, so made-up keys cannot
// grow it without bound.
class LocalRateLimiter final : public RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LocalRateLimiter(std::size_t max_keys = 100000) : max_keys_(max_keys) {}
  RateDecision take(const std::string& key, const RateLimit& limit) override;
  // For tests: the time the buckets see.
  RateDecision take_at(const std::string& key, const RateLimit& limit, Clock::time_point now);

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };
  void forget_full(Clock::time_point now, const RateLimit& limit);

  std::size_t max_keys_;
  std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace st
