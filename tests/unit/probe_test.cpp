#include "media/probe.hpp"

#include <gtest/gtest.h>

namespace st {
namespace {

const char* kLandscape = R"({
  "streams": [
    {"index": 0, "codec_name": "h264", "codec_type": "video", "width": 1920, "height": 1080,
     "pix_fmt": "yuv420p", "sample_aspect_ratio": "1:1", "avg_frame_rate": "30000/1001",
     "r_frame_rate": "30000/1001", "field_order": "progressive", "duration": "12.012",
     "disposition": {"attached_pic": 0}},
    {"index": 1, "codec_name": "aac", "codec_type": "audio", "channels": 2, "sample_rate": "48000",
     "tags": {"language": "eng"}}
  ],
  "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "12.034000", "bit_rate": "5000000"}
})";

TEST(ParseFfprobeJson, ReadsALandscapeVideoWithAudio) {
  const auto info = parse_ffprobe_json(kLandscape, 1234);
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->size_bytes, 1234U);
  EXPECT_EQ(info->video.codec, "h264");
  EXPECT_EQ(info->video.display_width(), 1920);
  EXPECT_EQ(info->video.display_height(), 1080);
  EXPECT_EQ(info->video.frame_rate, (Rational{30000, 1001}));
  EXPECT_DOUBLE_EQ(info->duration_seconds, 12.034);
  EXPECT_DOUBLE_EQ(info->video.duration_seconds, 12.012);
  EXPECT_FALSE(info->video.interlaced);
  ASSERT_EQ(info->audio.size(), 1U);
  EXPECT_EQ(info->audio[0].sample_rate, 48000);
  EXPECT_EQ(info->audio[0].language, "eng");
}

TEST(ParseFfprobeJson, DisplayMatrixRotationTurnsThePicture) {
  const auto info = parse_ffprobe_json(R"({"streams": [{"index": 0, "codec_type": "video", "codec_name": "h264",
      "width": 1920, "height": 1080, "avg_frame_rate": "30/1",
      "side_data_list": [{"side_data_type": "Display Matrix", "rotation": -90}]}],
      "format": {"duration": "3.0"}})",
                                       10);
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->video.rotation, 90);
  EXPECT_EQ(info->video.display_width(), 1080);
  EXPECT_EQ(info->video.display_height(), 1920);
}

TEST(ParseFfprobeJson, LegacyRotateTagTurnsThePicture) {
  const auto info = parse_ffprobe_json(R"({"streams": [{"index": 0, "codec_type": "video", "codec_name": "h264",
      "width": 1280, "height": 720, "avg_frame_rate": "30/1", "tags": {"rotate": "270"}}],
      "format": {"duration": "3.0"}})",
                                       10);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->video.rotation, 270);
  EXPECT_EQ(info->video.display_width(), 720);
}

TEST(ParseFfprobeJson, UpsideDownKeepsTheOrientation) {
  const auto info = parse_ffprobe_json(R"({"streams": [{"index": 0, "codec_type": "video", "codec_name": "h264",
      "width": 1280, "height": 720, "avg_frame_rate": "30/1",
      "side_data_list": [{"rotation": 180}]}], "format": {"duration": "3.0"}})",
                                       10);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->video.rotation, 180);
  EXPECT_EQ(info->video.display_width(), 1280);
}

TEST(ParseFfprobeJson, DetectsInterlacing) {
  const auto info = parse_ffprobe_json(R"({"streams": [{"index": 0, "codec_type": "video", "codec_name": "h264",
      "width": 1920, "height": 1080, "avg_frame_rate": "25/1", "field_order": "tt"}],
      "format": {"duration": "3.0"}})",
                                       10);
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(info->video.interlaced);
}

TEST(ParseFfprobeJson, AppliesTheSampleAspectRatio) {
  const auto info = parse_ffprobe_json(R"({"streams": [{"index": 0, "codec_type": "video", "codec_name": "mpeg2video",
      "width": 720, "height": 576, "sample_aspect_ratio": "64:45", "avg_frame_rate": "25/1"}],
      "format": {"duration": "3.0"}})",
                                       10);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->video.display_width(), 1024);
  EXPECT_EQ(info->video.display_height(), 576);
}

TEST(ParseFfprobeJson, RejectsAudioOnlyFilesNamingWhatTheyContain) {
  const auto info = parse_ffprobe_json(R"({"streams": [{"index": 0, "codec_type": "audio", "codec_name": "mp3"}],
      "format": {"duration": "3.0"}})",
                                       10);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(info.error().message.find("no video stream"), std::string::npos);
  EXPECT_NE(info.error().message.find("audio mp3"), std::string::npos);
}

TEST(ParseFfprobeJson, CoverArtIsNotAVideo) {
  const auto info = parse_ffprobe_json(R"({"streams": [
      {"index": 0, "codec_type": "audio", "codec_name": "aac"},
      {"index": 1, "codec_type": "video", "codec_name": "mjpeg", "width": 600, "height": 600,
       "avg_frame_rate": "0/0", "r_frame_rate": "90000/1", "disposition": {"attached_pic": 1}}],
      "format": {"duration": "180.0"}})",
                                       10);
  ASSERT_FALSE(info.has_value());
  EXPECT_NE(info.error().message.find("no video stream"), std::string::npos);
}

TEST(ParseFfprobeJson, RejectsAnUnknownDuration) {
  const auto info = parse_ffprobe_json(R"({"streams": [{"index": 0, "codec_type": "video", "codec_name": "h264",
      "width": 640, "height": 360, "avg_frame_rate": "25/1"}], "format": {}})",
                                       10);
  ASSERT_FALSE(info.has_value());
  EXPECT_NE(info.error().message.find("duration"), std::string::npos);
}

TEST(ParseFfprobeJson, RejectsAVideoStreamWithoutPictureSize) {
  const auto info = parse_ffprobe_json(R"({"streams": [{"index": 0, "codec_type": "video", "codec_name": "h264",
      "width": 0, "height": 0, "avg_frame_rate": "25/1"}], "format": {"duration": "3"}})",
                                       10);
  ASSERT_FALSE(info.has_value());
  EXPECT_NE(info.error().message.find("corrupt"), std::string::npos);
}

TEST(ParseFfprobeJson, RejectsText) {
  const auto info = parse_ffprobe_json("not json", 10);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code, ErrorCode::kInvalidInput);
}

TEST(CheckLimits, NamesTheLimitThatWasExceeded) {
  auto info = parse_ffprobe_json(kLandscape, 50'000'000);
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(check_limits(*info, ProbeLimits{}).has_value());

  const auto too_long = check_limits(*info, ProbeLimits{.max_duration_seconds = 10});
  ASSERT_FALSE(too_long.has_value());
  EXPECT_EQ(too_long.error().code, ErrorCode::kLimitExceeded);
  EXPECT_NE(too_long.error().message.find("--max-duration"), std::string::npos);

  const auto too_big = check_limits(*info, ProbeLimits{.max_width = 1280, .max_height = 720});
  ASSERT_FALSE(too_big.has_value());
  EXPECT_NE(too_big.error().message.find("1920x1080"), std::string::npos);

  const auto too_fast = check_limits(*info, ProbeLimits{.max_frame_rate = 25});
  ASSERT_FALSE(too_fast.has_value());
  EXPECT_NE(too_fast.error().message.find("29.97"), std::string::npos);
}

TEST(CheckLimits, RefusesAFileTooSmallForTheDurationItDeclares) {
  // 98 KB that claim 30 hours: a frame at 0 s and the next at 30 h.
  auto info = parse_ffprobe_json(kLandscape, 98'814);
  ASSERT_TRUE(info.has_value());
  info->duration_seconds = 108'002;
  const auto gap = check_limits(*info, ProbeLimits{.max_duration_seconds = 200'000});
  ASSERT_FALSE(gap.has_value());
  EXPECT_EQ(gap.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(gap.error().message.find("timestamps jump"), std::string::npos) << gap.error().message;
}

TEST(ParseFfprobeJson, SurvivesFieldsOfTheWrongType) {
  for (const auto* text : {R"({"streams":[{"codec_type":"video","index":"zero","width":"wide","height":[1]}]})",
                           R"({"streams":{"not":"an array"},"format":[]})",
                           R"({"streams":[{"codec_type":"video","width":1e300,"height":-1e300,"index":1.5}]})",
                           R"({"streams":[null, 7, "x", {"codec_type":["video"]}]})"}) {
    const auto info = parse_ffprobe_json(text, 1000);
    EXPECT_FALSE(info.has_value()) << text;
  }
}

}  // namespace
}  // namespace st
