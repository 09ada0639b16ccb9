#include "packaging/bit_rates.hpp"

#include <gtest/gtest.h>

#include "presentation_fixture.hpp"

namespace st {
namespace {

TEST(BitRates, AverageIsAllSegmentBytesOverTheDuration) {
  const auto p = testing::small_presentation();
  // (2 + 3 + 0.5) MB over 10 s.
  EXPECT_EQ(average_bit_rate(p.video[0]), 4'400'000U);
}

TEST(BitRates, PeakFollowsRfc8216OverSetsBetweenHalfAndOneAndAHalfTargetDurations) {
  const auto p = testing::small_presentation();
  // Target 4 s: sets may last 2..6 s. Single segments: 4, 6, 2 Mb/s (segment 3 is
  // 0.5 MB over 2 s). Pairs: 1+2 lasts 8 s (too long), 2+3 lasts 6 s: 3.5 MB -> 4.67 Mb/s.
  // The peak is segment 2 alone: 3 MB over 4 s = 6 Mb/s.
  EXPECT_EQ(peak_segment_bit_rate(p.video[0], 4), 6'000'000U);
}

TEST(BitRates, PeakConsidersShortSegmentsOnlyWithTheirNeighbours) {
  Track t;
  t.timescale = 1000;
  // A 1 s segment of 1 MB would be 8 Mb/s alone, but with a 10 s target it is only
  // part of a qualifying set together with the 4 s segment before it.
  t.segments = {{"a", 0, 4000, 1'000'000}, {"b", 4000, 1000, 1'000'000}};
  EXPECT_EQ(peak_segment_bit_rate(t, 10), 3'200'000U);
}

TEST(BitRates, DashBandwidthCoversTheWorstSegmentWithinTheBuffer) {
  const auto p = testing::small_presentation();
  // minBufferTime 8 s. Starting at segment 1: 16 Mb due after 8 s (2 Mb/s), 40 Mb
  // after 12 s (3.33 Mb/s), 44 Mb after 16 s; starting at segment 2: 24 Mb after
  // 8 s (3 Mb/s). The worst case is 40 Mb in 12 s.
  EXPECT_EQ(dash_bandwidth(p.video[0], 8), 3'333'334U);
}

TEST(BitRates, MeasureFillsAllThree) {
  auto p = testing::small_presentation();
  measure_bit_rates(p.audio[0], 4, 8);
  EXPECT_EQ(p.audio[0].bit_rates.average_bps, 128'000U);
  EXPECT_EQ(p.audio[0].bit_rates.peak_bps, 128'000U);
  EXPECT_GT(p.audio[0].bit_rates.dash_bandwidth_bps, 0U);
}

}  // namespace
}  // namespace st
