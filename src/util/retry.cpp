#include "util/retry.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

namespace st {

std::chrono::milliseconds retry_delay(int attempt, std::chrono::milliseconds base, std::chrono::milliseconds cap,
                                      double unit_random) {
  const double exponent = std::clamp(attempt - 1, 0, 30);
  const double ceiling =
      std::min(static_cast<double>(cap.count()), static_cast<double>(base.count()) * std::pow(2.0, exponent));
  // "Equal jitter": half the delay is kept, so a retry never comes at once; the
  // other half is random, so callers that failed together spread out.
  return std::chrono::milliseconds(static_cast<std::int64_t>(ceiling / 2 * (1.0 + std::clamp(unit_random, 0.0, 1.0))));
}

std::chrono::milliseconds RetryPolicy::delay(int attempt) const {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return retry_delay(attempt, base, cap, std::uniform_real_distribution<double>(0.0, 1.0)(generator));
}

}  // namespace st
