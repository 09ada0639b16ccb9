#include "jobs/job.hpp"

#include <gtest/gtest.h>

namespace st {
namespace {

using S = JobStatus;
using std::chrono::milliseconds;

TEST(JobStateMachine, AllowsTheTransitionsOfTheDiagram) {
  EXPECT_TRUE(is_legal_transition(S::kQueued, S::kRunning));
  EXPECT_TRUE(is_legal_transition(S::kQueued, S::kCancelled));
  EXPECT_TRUE(is_legal_transition(S::kRunning, S::kSucceeded));
  EXPECT_TRUE(is_legal_transition(S::kRunning, S::kFailed));
  EXPECT_TRUE(is_legal_transition(S::kRunning, S::kQueued));
  EXPECT_TRUE(is_legal_transition(S::kRunning, S::kDead));
  EXPECT_TRUE(is_legal_transition(S::kDead, S::kQueued));
  EXPECT_TRUE(is_legal_transition(S::kFailed, S::kQueued));
}

TEST(JobStateMachine, RefusesEverythingElse) {
  EXPECT_FALSE(is_legal_transition(S::kQueued, S::kSucceeded));
  EXPECT_FALSE(is_legal_transition(S::kQueued, S::kDead));
  EXPECT_FALSE(is_legal_transition(S::kSucceeded, S::kQueued));
  EXPECT_FALSE(is_legal_transition(S::kSucceeded, S::kRunning));
  EXPECT_FALSE(is_legal_transition(S::kDead, S::kRunning));
  EXPECT_FALSE(is_legal_transition(S::kCancelled, S::kSucceeded));
}

TEST(JobStatus, RoundTripsThroughItsName) {
  for (const auto status : {S::kQueued, S::kRunning, S::kSucceeded, S::kFailed, S::kCancelled, S::kDead}) {
    EXPECT_EQ(parse_job_status(to_string(status)), status);
  }
  EXPECT_FALSE(parse_job_status("paused").has_value());
  EXPECT_TRUE(is_terminal(S::kDead));
  EXPECT_FALSE(is_terminal(S::kRunning));
}

TEST(RetryDelay, GrowsExponentiallyWithHalfOfItRandom) {
  const milliseconds base(1000);
  const milliseconds cap(60000);
  EXPECT_EQ(retry_delay(1, base, cap, 0.0), milliseconds(500));
  EXPECT_EQ(retry_delay(1, base, cap, 1.0), milliseconds(1000));
  EXPECT_EQ(retry_delay(3, base, cap, 0.0), milliseconds(2000));
  EXPECT_EQ(retry_delay(3, base, cap, 1.0), milliseconds(4000));
  EXPECT_EQ(retry_delay(3, base, cap, 0.5), milliseconds(3000));
}

TEST(RetryDelay, IsCapped) {
  EXPECT_EQ(retry_delay(40, milliseconds(1000), milliseconds(60000), 1.0), milliseconds(60000));
  EXPECT_EQ(retry_delay(40, milliseconds(1000), milliseconds(60000), 0.0), milliseconds(30000));
}

}  // namespace
}  // namespace st
