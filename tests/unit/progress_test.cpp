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
