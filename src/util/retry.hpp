// Retries with exponential backoff and jitter: jobs (worker_pool), object
// storage requests (s3_store).
#pragma once

#include <chrono>

namespace st {

// How long to wait before attempt `attempt + 1`: exponential in the attempt
// number, capped, half of it random so that callers failing together do not
// retry together. `unit_random` is in [0, 1].
std::chrono::milliseconds retry_delay(int attempt, std::chrono::milliseconds base, std::chrono::milliseconds cap,
                                      double unit_random);

struct RetryPolicy {
  std::chrono::milliseconds base{200};
  std::chrono::milliseconds cap{10000};
  int max_attempts = 5;

  // retry_delay() with this thread's random numbers.
  [[nodiscard]] std::chrono::milliseconds delay(int attempt) const;
};

}  // namespace st
