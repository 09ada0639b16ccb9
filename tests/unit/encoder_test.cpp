#include "pipeline/encoder.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace st {
namespace {

MediaInfo source(bool audio) {
  MediaInfo info;
  info.duration_seconds = 10;
  info.video.codec = "h264";
  info.video.width = 1920;
  info.video.height = 1080;
  info.video.frame_rate = {60, 1};
  if (audio) info.audio.push_back({.index = 1, .codec = "aac", .channels = 2, .sample_rate = 44100, .language = ""});
  return info;
}

std::string joined(const EncodeCommand& command) {
  std::string out;
  for (const auto& arg : command.argv) out += arg + " ";
  return out;
}

std::ptrdiff_t count(const EncodeCommand& command, const std::string& arg) {
  return std::count(command.argv.begin(), command.argv.end(), arg);
}

EncodeCommand command_for(const MediaInfo& info, bool interlaced = false) {
  auto ladder = LadderPlanner({.renditions = {"1080p", "720p", "480p"}}).plan(info);
  EXPECT_TRUE(ladder.has_value());
  ladder->deinterlace = interlaced;
  EncodeOptions options;
  options.segment_seconds = 4;
  return build_encode_command("/media/in put.mov", info, *ladder, options, "/tmp/enc");
}

TEST(EncodeCommand, DecodesOnceAndSplitsForEveryRendition) {
  const auto command = command_for(source(true));
  EXPECT_EQ(count(command, "-i"), 1);
  EXPECT_NE(joined(command).find("fps=60,split=3[s0][s1][s2]"), std::string::npos);
  EXPECT_EQ(count(command, "libx264"), 3);
}

TEST(EncodeCommand, OpensTheSourceThroughTheWhitelists) {
  const auto command = command_for(source(true));
  const auto text = joined(command);
  EXPECT_NE(text.find("-protocol_whitelist file -format_whitelist "), std::string::npos);
  EXPECT_NE(text.find("-i file:/media/in put.mov"), std::string::npos);
}

TEST(EncodeCommand, PutsKeyframesOnTheSegmentGridForEveryRendition) {
  const auto command = command_for(source(true));
  EXPECT_EQ(count(command, "expr:gte(t,n_forced*4)"), 3);
  EXPECT_EQ(count(command, "-sc_threshold:v:2"), 1);
  // 1080p and 720p at 60 fps: 240-frame GOPs; 480p at 30 fps: 120.
  const auto text = joined(command);
  EXPECT_NE(text.find("-g:v:0 240 "), std::string::npos);
  EXPECT_NE(text.find("-g:v:2 120 "), std::string::npos);
  EXPECT_NE(text.find("[s2]fps=30,scale=854:480"), std::string::npos);
}

TEST(EncodeCommand, EncodesStereoAacAt48kHz) {
  const auto text = joined(command_for(source(true)));
  EXPECT_NE(text.find("-map 0:1 -c:a aac -b:a 128k -ac 2 -ar 48000"), std::string::npos);
}

TEST(EncodeCommand, HasNoAudioOutputForASilentSource) {
  const auto command = command_for(source(false));
  EXPECT_EQ(count(command, "-c:a"), 0);
  EXPECT_EQ(joined(command).find("streams=3"), std::string::npos);
}

TEST(EncodeCommand, DeinterlacesOnceBeforeTheSplit) {
  const auto text = joined(command_for(source(true), /*interlaced=*/true));
  EXPECT_NE(text.find("[0:0]bwdif=mode=send_frame:parity=auto:deint=all,fps=60,split=3"), std::string::npos);
}

TEST(EncodeCommand, StripsSourceMetadata) {
  const auto text = joined(command_for(source(true)));
  EXPECT_NE(text.find("-map_metadata -1"), std::string::npos);
}

TEST(EncodeCommand, NamesScratchFilesByRepresentation) {
  const auto command = command_for(source(true));
  EXPECT_EQ(command.init_file(3), "/tmp/enc/init-3.mp4");
  EXPECT_EQ(command.segment_file(0, 12), "/tmp/enc/seg-0-00012.m4s");
}

TEST(Presets, AcceptsX264PresetsOnly) {
  EXPECT_TRUE(is_known_preset("veryfast"));
  EXPECT_TRUE(is_known_preset("medium"));
  EXPECT_FALSE(is_known_preset("turbo"));
}

}  // namespace
}  // namespace st
