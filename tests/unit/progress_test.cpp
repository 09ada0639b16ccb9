#include "pipeline/progress.hpp"

#include <gtest/gtest.h>

namespace st {
namespace {

TEST(ProgressParser, EmitsASnapshotAtTheEndOfEachBlock) {
  ProgressParser parser;
  EXPECT_FALSE(parser.feed("frame=120").has_value());
  EXPECT_FALSE(parser.feed("fps=59.8").has_value());
  EXPECT_FALSE(parser.feed("out_time_us=4004000").has_value());
  EXPECT_FALSE(parser.feed("speed=1.98x").has_value());
  const auto progress = parser.feed("progress=continue");
  ASSERT_TRUE(progress.has_value());
  EXPECT_EQ(progress->frame, 120);
  EXPECT_DOUBLE_EQ(progress->encoded_seconds, 4.004);
  EXPECT_DOUBLE_EQ(progress->speed, 1.98);
  EXPECT_FALSE(progress->finished);
}

TEST(ProgressParser, ToleratesNotAvailableValuesAndPadding) {
  ProgressParser parser;
  parser.feed("out_time_us=N/A");
  parser.feed("speed=N/A");
  parser.feed("bitrate=   0.0kbits/s");
  const auto progress = parser.feed("progress=continue\r");
  ASSERT_TRUE(progress.has_value());
  EXPECT_DOUBLE_EQ(progress->encoded_seconds, 0);
  EXPECT_DOUBLE_EQ(progress->speed, 0);
}

TEST(ProgressParser, RecognisesTheEnd) {
  ProgressParser parser;
  parser.feed("out_time_ms=10000000");
  const auto progress = parser.feed("progress=end");
  ASSERT_TRUE(progress.has_value());
  EXPECT_TRUE(progress->finished);
  EXPECT_DOUBLE_EQ(progress->encoded_seconds, 10);
}

TEST(ProgressParser, IgnoresLinesThatAreNotKeyValue) {
  ProgressParser parser;
  EXPECT_FALSE(parser.feed("").has_value());
  EXPECT_FALSE(parser.feed("garbage").has_value());
}

TEST(ProgressEstimate, ComputesPercentAndEta) {
  const auto e = estimate({.encoded_seconds = 5, .speed = 2.5, .frame = 0, .finished = false}, 20);
  EXPECT_DOUBLE_EQ(e.percent, 25);
  EXPECT_DOUBLE_EQ(e.eta_seconds, 6);  // 15 s of media left at 2.5x
}

TEST(ProgressEstimate, ExtrapolatesWithTheSpeedItIsGiven) {
  const auto e = estimate({.encoded_seconds = 5, .speed = 2.5, .frame = 0, .finished = false}, 20, 5);
  EXPECT_DOUBLE_EQ(e.eta_seconds, 3);  // 15 s left at the recent 5x, not ffmpeg's average 2.5x
}

TEST(RecentSpeed, FollowsTheRecentRateNotTheAverageSinceTheStart) {
  using namespace std::chrono_literals;
  const auto t0 = RecentSpeed::Clock::time_point{} + 100s;
  RecentSpeed speed(8s);
  EXPECT_EQ(speed.update(0, t0), 0) << "one sample has no rate";
  EXPECT_EQ(speed.update(0, t0 + 500ms), 0) << "half a second is too short to tell";
  // Four seconds of startup with no output, then 2 s of media per second.
  double last = 0;
  for (int s = 4; s <= 20; ++s) last = speed.update(2.0 * (s - 4), t0 + std::chrono::seconds(s));
  EXPECT_DOUBLE_EQ(last, 2.0) << "the startup has left the window";
  // ffmpeg's average at that point: 32 s of media in 20 s.
  EXPECT_LT(32.0 / 20, last);
  // Slower now: the window follows within its length.
  for (int s = 21; s <= 29; ++s) last = speed.update(32 + 0.5 * (s - 20), t0 + std::chrono::seconds(s));
  EXPECT_NEAR(last, 0.5, 0.01);
}

TEST(RecentSpeed, StartsAgainWhenTheOutputTimeGoesBack) {
  using namespace std::chrono_literals;
  const auto t0 = RecentSpeed::Clock::time_point{} + 100s;
  RecentSpeed speed(8s);
  speed.update(0, t0);
  EXPECT_DOUBLE_EQ(speed.update(10, t0 + 2s), 5);
  EXPECT_EQ(speed.update(1, t0 + 3s), 0) << "no negative speed from a report that went back";
  EXPECT_DOUBLE_EQ(speed.update(3, t0 + 4s), 2);
}

TEST(ProgressEstimate, UnknownSpeedMeansUnknownEta) {
  const auto e = estimate({.encoded_seconds = 1, .speed = 0, .frame = 0, .finished = false}, 20);
  EXPECT_LT(e.eta_seconds, 0);
}

TEST(ProgressEstimate, NeverExceedsOneHundredPercent) {
  EXPECT_DOUBLE_EQ(estimate({.encoded_seconds = 25, .speed = 1, .frame = 0, .finished = false}, 20).percent, 100);
  EXPECT_DOUBLE_EQ(estimate({.encoded_seconds = 19, .speed = 1, .frame = 0, .finished = true}, 20).percent, 100);
}

}  // namespace
}  // namespace st
