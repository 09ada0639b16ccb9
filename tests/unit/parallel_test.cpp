#include "util/parallel.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

namespace st {
namespace {

TEST(ParallelFor, RunsEveryTaskOnBoundedThreads) {
  std::atomic<int> sum{0};
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  const auto done = parallel_for(100, 3, [&](std::size_t i) -> Result<void> {
    const int now = ++running;
    for (int seen = most; now > seen && !most.compare_exchange_weak(seen, now);) {
    }
    sum += static_cast<int>(i);
    --running;
    return {};
  });
  EXPECT_TRUE(done.has_value());
  EXPECT_EQ(sum, 4950);
  EXPECT_LE(most, 3);
}

TEST(ParallelFor, ReturnsTheFirstErrorAndAThrownExceptionIsOne) {
  const auto failed = parallel_for(10, 2, [](std::size_t i) -> Result<void> {
    if (i == 3) return fail(ErrorCode::kUnavailable, "task 3 failed");
    return {};
  });
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);

  const auto threw = parallel_for(4, 4, [](std::size_t i) -> Result<void> {
    if (i == 2) throw std::runtime_error("out of something");
    return {};
  });
  ASSERT_FALSE(threw.has_value());
  EXPECT_EQ(threw.error().code, ErrorCode::kInternal);
  EXPECT_EQ(threw.error().message, "out of something");
}

}  // namespace
}  // namespace st
