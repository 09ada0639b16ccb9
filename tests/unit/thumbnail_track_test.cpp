#include "packaging/thumbnail_track.hpp"

#include <gtest/gtest.h>

namespace st {
namespace {

SpriteSheets sheets(int thumbnails, int files) {
  SpriteSheets s{.interval_seconds = 2, .columns = 2, .rows = 2, .tile_width = 160, .tile_height = 90};
  for (int i = 1; i <= files; ++i) s.files.push_back("thumbnails/sprite-0000" + std::to_string(i) + ".jpg");
  s.thumbnails = thumbnails;
  return s;
}

TEST(ThumbnailTrack, OneCuePerTileWithItsRectangleInItsSheet) {
  EXPECT_EQ(write_thumbnail_track(sheets(5, 2), 9.5),
            "WEBVTT\n"
            "\n00:00:00.000 --> 00:00:02.000\nsprite-00001.jpg#xywh=0,0,160,90\n"
            "\n00:00:02.000 --> 00:00:04.000\nsprite-00001.jpg#xywh=160,0,160,90\n"
            "\n00:00:04.000 --> 00:00:06.000\nsprite-00001.jpg#xywh=0,90,160,90\n"
            "\n00:00:06.000 --> 00:00:08.000\nsprite-00001.jpg#xywh=160,90,160,90\n"
            "\n00:00:08.000 --> 00:00:09.500\nsprite-00002.jpg#xywh=0,0,160,90\n");
}

TEST(ThumbnailTrack, NeverPointsPastTheSheetsThereAre) {
  const auto text = write_thumbnail_track(sheets(9, 1), 100);
  EXPECT_EQ(text.find("sprite-00002"), std::string::npos);
  EXPECT_NE(text.find("00:00:06.000 --> 00:00:08.000"), std::string::npos);
  EXPECT_EQ(text.find("00:00:08.000 -->"), std::string::npos);  // only as an end time
}

}  // namespace
}  // namespace st
