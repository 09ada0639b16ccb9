#include "jobs/job.hpp"
#include "jobs/job_transitions.hpp"
#include "util/retry.hpp"

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

TEST(JobTransitions, EveryEventHasOneEntryAndCancelAndRetryAreOnlyLegalFromTheirStatuses) {
  for (const auto event : {JobEvent::kClaim, JobEvent::kSucceed, JobEvent::kFail, JobEvent::kRelease,
                           JobEvent::kRequeue, JobEvent::kCancel, JobEvent::kRetry}) {
    EXPECT_EQ(transition_of(event).event, event);
  }
  EXPECT_TRUE(can_happen(JobEvent::kCancel, S::kQueued));
  EXPECT_TRUE(can_happen(JobEvent::kCancel, S::kRunning));
  for (const auto final_status : {S::kSucceeded, S::kFailed, S::kCancelled, S::kDead}) {
    EXPECT_FALSE(can_happen(JobEvent::kCancel, final_status)) << to_string(final_status);
  }
  EXPECT_TRUE(can_happen(JobEvent::kRetry, S::kFailed));
  EXPECT_TRUE(can_happen(JobEvent::kRetry, S::kDead));
  EXPECT_TRUE(can_happen(JobEvent::kRetry, S::kCancelled));
  EXPECT_FALSE(can_happen(JobEvent::kRetry, S::kQueued));
  EXPECT_FALSE(can_happen(JobEvent::kRetry, S::kRunning));
  EXPECT_FALSE(can_happen(JobEvent::kRetry, S::kSucceeded));
}

TEST(JobTransitions, TheSqlOfATransitionNamesExactlyItsFromStatuses) {
  EXPECT_EQ(sql_from(JobEvent::kCancel), "'queued'::job_status, 'running'::job_status");
  EXPECT_EQ(sql_from(JobEvent::kRetry), "'failed'::job_status, 'dead'::job_status, 'cancelled'::job_status");
  EXPECT_EQ(sql_from(JobEvent::kClaim), "'queued'::job_status");
}

TEST(JobTransitions, OutOfRunningEveryTransitionButRequeueIsFencedAndTheTokenMovesOnWhenTheLeaseIsVoided) {
  EXPECT_TRUE(transition_of(JobEvent::kSucceed).fenced);
  EXPECT_TRUE(transition_of(JobEvent::kFail).fenced);
  EXPECT_TRUE(transition_of(JobEvent::kRelease).fenced);
  EXPECT_FALSE(transition_of(JobEvent::kRequeue).fenced);  // acts on expiry, not for a lease
  EXPECT_TRUE(transition_of(JobEvent::kCancel).raises_token);
  EXPECT_TRUE(transition_of(JobEvent::kClaim).raises_token);
}

}  // namespace
}  // namespace st
