#include "pipeline/thumbnails.hpp"

#include <gtest/gtest.h>

namespace st {
namespace {

TEST(ParseSignalstats, ReadsTheLumaFigures) {
  const auto stats = parse_signalstats(
      "frame:0    pts:7168    pts_time:0.466667\n"
      "lavfi.signalstats.YMIN=16\n"
      "lavfi.signalstats.YLOW=20\n"
      "lavfi.signalstats.YAVG=110.5\n"
      "lavfi.signalstats.YHIGH=200\n"
      "lavfi.signalstats.YMAX=235\n");
  EXPECT_DOUBLE_EQ(stats.low, 20);
  EXPECT_DOUBLE_EQ(stats.average, 110.5);
  EXPECT_DOUBLE_EQ(stats.high, 200);
  EXPECT_DOUBLE_EQ(stats.frame_seconds, 0.466667);
  EXPECT_TRUE(stats.is_informative());
}

TEST(LumaStats, BlackAndFlatFramesAreNotInformative) {
  EXPECT_FALSE((LumaStats{.low = 16, .high = 17, .average = 16}).is_informative());     // black
  EXPECT_FALSE((LumaStats{.low = 200, .high = 203, .average = 201}).is_informative());  // a white card
  EXPECT_TRUE((LumaStats{.low = 30, .high = 90, .average = 60}).is_informative());      // a dark scene
}

TEST(ParseSignalstats, MissingFiguresReadAsZero) {
  const auto stats = parse_signalstats("nothing here");
  EXPECT_DOUBLE_EQ(stats.high, 0);
  EXPECT_FALSE(stats.is_informative());
}

}  // namespace
}  // namespace st
