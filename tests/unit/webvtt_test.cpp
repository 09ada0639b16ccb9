#include "packaging/webvtt.hpp"

#include <gtest/gtest.h>

#include <string>

namespace st {
namespace {

TEST(WebVtt, ReadsCuesWithIdentifiersSettingsAndMultiLinePayloads) {
  const auto cues = parse_webvtt(
      "\xEF\xBB\xBFWEBVTT - a title\r\n\r\nSTYLE\r\n::cue { color: red }\r\n\r\n1\r\n00:00:02.500 --> 00:00:04.000 "
      "line:90%\r\nFirst line\r\n<i>second</i>\r\n\r\nNOTE a comment\r\n\r\n01:02:03.004 --> "
      "01:02:05.000\r\nLater\r\n");
  ASSERT_TRUE(cues.has_value()) << cues.error().message;
  ASSERT_EQ(cues->size(), 2U);
  EXPECT_DOUBLE_EQ((*cues)[0].start, 2.5);
  EXPECT_DOUBLE_EQ((*cues)[0].end, 4.0);
  EXPECT_EQ((*cues)[0].settings, "line:90%");
  EXPECT_EQ((*cues)[0].text, "First line\n<i>second</i>");
  EXPECT_DOUBLE_EQ((*cues)[1].start, 3723.004);
}

TEST(WebVtt, RefusesWhatIsNotWebVttOrTooLarge) {
  EXPECT_FALSE(parse_webvtt("1\n00:00:01,000 --> 00:00:02,000\nSRT\n").has_value());
  EXPECT_FALSE(parse_webvtt("WEBVTTX\n").has_value());
  std::string many = "WEBVTT\n";
  for (int i = 0; i < 20; ++i) many += "\n00:00:01.000 --> 00:00:02.000\nx\n";
  EXPECT_FALSE(parse_webvtt(many, {.max_bytes = 1 << 20, .max_cues = 10, .max_cue_bytes = 100}).has_value());
  EXPECT_FALSE(parse_webvtt("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n" + std::string(200, 'a'),
                            {.max_bytes = 1 << 20, .max_cues = 10, .max_cue_bytes = 100})
                   .has_value());
  EXPECT_FALSE(parse_webvtt(std::string(100, 'W'), {.max_bytes = 10}).has_value());
}

TEST(WebVtt, SkipsBrokenTimingsAndRepairsInvalidUtf8) {
  const auto cues = parse_webvtt(
      "WEBVTT\n\n00:00:0x.000 --> 00:00:02.000\nbad\n\n00:00:05.000 --> 00:00:04.000\nbackwards\n\n"
      "00:99:01.000 --> 00:99:02.000\nminutes\n\n00:00:01.000 --> 00:00:02.000\nok \xff\n");
  ASSERT_TRUE(cues.has_value());
  ASSERT_EQ(cues->size(), 1U);
  EXPECT_EQ((*cues)[0].text, "ok \xEF\xBF\xBD");
}

TEST(WebVtt, CutsSegmentsOnTheGridWithATimestampMap) {
  const std::vector<WebVttCue> cues = {{.start = 1, .end = 3, .settings = "", .text = "across"},
                                       {.start = 5, .end = 6, .settings = "", .text = "later"}};
  EXPECT_EQ(write_webvtt_segment(cues, 0, 2),
            "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n\n00:00:01.000 --> 00:00:03.000\nacross\n");
  EXPECT_NE(write_webvtt_segment(cues, 2, 4).find("across"), std::string::npos);
  EXPECT_EQ(write_webvtt_segment(cues, 2, 4).find("later"), std::string::npos);
  EXPECT_EQ(write_webvtt_segment(cues, 6, 8).find("-->"), std::string::npos);
  EXPECT_EQ(write_webvtt(cues),
            "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nacross\n\n00:00:05.000 --> 00:00:06.000\nlater\n");
}

}  // namespace
}  // namespace st
