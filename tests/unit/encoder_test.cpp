#include "pipeline/encoder.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

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

TEST(EncodeCommand, ReadsNoFurtherThanTheProbedDuration) {
  const auto command = command_for(source(true));
  const auto t = std::find(command.argv.begin(), command.argv.end(), "-t");
  ASSERT_NE(t, command.argv.end());
  EXPECT_EQ(*(t + 1), "14");  // 10 s and one segment of margin
  EXPECT_LT(t, std::find(command.argv.begin(), command.argv.end(), "-i")) << "an input option";
}

TEST(EncodeBudget, ScalesTheLimitsToTheSource) {
  const EncodeBudget budget{.time_factor = 10,
                            .time_floor = std::chrono::seconds(300),
                            .cpus = 2,
                            .max_memory_bytes = 1ULL << 33,
                            .max_file_bytes = 1ULL << 32};
  auto limits = budget.limits_for(10, {});
  EXPECT_EQ(limits.wall_time, std::chrono::seconds(300));  // the floor
  EXPECT_EQ(limits.cpu_time, std::chrono::seconds(600));
  EXPECT_EQ(limits.address_space_bytes, 1ULL << 33);
  EXPECT_EQ(limits.file_size_bytes, 1ULL << 32);
  limits = budget.limits_for(3600, {});
  EXPECT_EQ(limits.wall_time, std::chrono::hours(10));
  // A tighter explicit limit (--time-limit) stays.
  limits = budget.limits_for(3600, {.wall_time = std::chrono::seconds(60)});
  EXPECT_EQ(limits.wall_time, std::chrono::seconds(60));
  EXPECT_EQ(limits.cpu_time, std::chrono::seconds(120));
  // No factor: nothing derived (the transcode command without --time-limit).
  EXPECT_EQ(EncodeBudget{}.limits_for(3600, {}).wall_time.count(), 0);
}

TEST(Encoder, StopsWhenTheScratchDiskRunsLow) {
  // A real ffmpeg that would run for a minute; the disk "fills" after a few checks.
  EncodeCommand command;
  command.output_dir = std::filesystem::temp_directory_path() / ("st-disk-" + std::to_string(::getpid()));
  command.argv = {"ffmpeg",   "-hide_banner",
                  "-nostdin", "-loglevel",
                  "error",    "-progress",
                  "pipe:1",   "-stats_period",
                  "0.1",      "-re",
                  "-f",       "lavfi",
                  "-i",       "testsrc2=size=320x240:rate=25",
                  "-t",       "60",
                  "-f",       "null",
                  "-"};
  int checks = 0;
  EncodeBudget budget{.scratch = command.output_dir,
                      .min_free_bytes = 100ULL << 20,
                      .free_bytes = [&](const std::filesystem::path&) -> std::uint64_t {
                        return ++checks < 3 ? 1ULL << 30 : 10ULL << 20;
                      }};
  const auto started = std::chrono::steady_clock::now();
  auto result = Encoder().run(command, nullptr, {}, {}, budget);
  std::filesystem::remove_all(command.output_dir);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(result.error().message.find("scratch disk ran low (10 MiB free"), std::string::npos)
      << result.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
}

TEST(EncodeCommand, DecodesOnceAndSplitsForEveryRendition) {
  const auto command = command_for(source(true));
  EXPECT_EQ(count(command, "-i"), 1);
  EXPECT_NE(joined(command).find("fps=fps=60:start_time=0,split=3[s0][s1][s2]"), std::string::npos);
  EXPECT_EQ(count(command, "libx264"), 3);
}

TEST(EncodeCommand, ScalesARungFromOneTwiceItsSizeRatherThanFromTheFullPicture) {
  auto info = source(true);
  info.video.frame_rate = {30, 1};
  const auto ladder = LadderPlanner({}).plan(info);
  ASSERT_TRUE(ladder.has_value());
  ASSERT_EQ(ladder->video.size(), 5U);  // 1080p 720p 480p 360p 240p
  const auto text = joined(build_encode_command("in.mp4", info, *ladder, {}, "/tmp/out"));
  // 1080p and 720p from the picture; 480p from 1080p, 360p from 720p, 240p from 480p.
  EXPECT_NE(text.find("fps=fps=30:start_time=0,split=2[s0][s1];[s0]scale=1920:1080:flags=bicubic,setsar=1,"
                      "format=yuv420p,split=2[v0][c0_0]"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("[s1]scale=1280:720:flags=bicubic,setsar=1,format=yuv420p,split=2[v1][c1_0]"), std::string::npos)
      << text;
  EXPECT_NE(text.find("[c0_0]scale=854:480:flags=bicubic,setsar=1,format=yuv420p,split=2[v2][c2_0]"), std::string::npos)
      << text;
  EXPECT_NE(text.find("[c1_0]scale=640:360:flags=bicubic,setsar=1,format=yuv420p[v3]"), std::string::npos) << text;
  EXPECT_NE(text.find("[c2_0]scale=426:240:flags=bicubic,setsar=1,format=yuv420p[v4]"), std::string::npos) << text;
}

TEST(EncodeCommand, NeverScalesFromARungWithFewerFramesOrAnotherMatrix) {
  // 60 fps: 480p and below run at 30, 720p at 60; 360p may come from 720p only if their rates match.
  auto info = source(false);
  auto ladder = LadderPlanner({.renditions = {"720p", "480p", "360p"}}).plan(info);
  ASSERT_TRUE(ladder.has_value());
  auto text = joined(build_encode_command("in.mp4", info, *ladder, {}, "/tmp/out"));
  EXPECT_NE(text.find("split=3[s0][s1][s2]"), std::string::npos) << text;
  EXPECT_EQ(text.find("[c"), std::string::npos) << text;
  // A BT.601 SD source: its 720p rung is converted to BT.709, its 360p rung keeps BT.601.
  info.video.frame_rate = {30, 1};
  info.video.width = 1280;
  info.video.height = 720;
  info.video.color_matrix = "smpte170m";
  ladder = LadderPlanner({.renditions = {"720p", "360p"}}).plan(info);
  ASSERT_TRUE(ladder.has_value());
  ASSERT_TRUE(ladder->video[0].from_bt601);
  ASSERT_EQ(ladder->video[1].color_matrix, "smpte170m");
  text = joined(build_encode_command("in.mp4", info, *ladder, {}, "/tmp/out"));
  EXPECT_NE(text.find("split=2[s0][s1]"), std::string::npos) << text;
  EXPECT_EQ(text.find("[c"), std::string::npos) << text;
}

TEST(EncodeCommand, ToneMapsAnHdrSourceOnceBeforeTheSplitAndSignalsBt709) {
  auto info = source(true);
  info.video.color_transfer = "arib-std-b67";
  const auto ladder = LadderPlanner({.renditions = {"720p", "360p"}}).plan(info);
  ASSERT_TRUE(ladder.has_value());
  const auto text = joined(build_encode_command("in.mp4", info, *ladder, {}, "/tmp/out"));
  // After the frame rate is set: no frame is tone-mapped only to be dropped.
  EXPECT_NE(text.find(":start_time=0,zscale=tin=arib-std-b67:"), std::string::npos) << text;
  EXPECT_LT(text.find("tonemap=tonemap=hable"), text.find("split="));
  EXPECT_NE(text.find("-color_primaries:v:1 bt709 -color_trc:v:1 bt709 -colorspace:v:1 bt709"), std::string::npos);
}

TEST(EncodeCommand, BranchesTheHdrLadderOffBeforeTheToneMapAndEncodesItInHevcMain10) {
  auto info = source(true);
  info.video.color_transfer = "smpte2084";
  LadderOptions options{.renditions = {"720p", "360p"}};
  options.hdr_ladder = true;
  const auto ladder = LadderPlanner(options).plan(info);
  ASSERT_TRUE(ladder.has_value());
  ASSERT_EQ(ladder->hdr_video.size(), 1U);
  const auto command = build_encode_command("in.mp4", info, *ladder, {}, "/tmp/out");
  const auto text = joined(command);
  EXPECT_EQ(count(command, "-i"), 1) << "one decode for both ladders";
  EXPECT_NE(text.find(":start_time=0,split=2[sdr][hdr];[sdr]zscale=tin=smpte2084:"), std::string::npos) << text;
  EXPECT_NE(text.find(";[hdr]null[h0];[h0]scale=1280:720:flags=bicubic,setsar=1,format=yuv420p10le[v2]"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("-map [v2] -c:v:2 libx265 -profile:v:2 main10"), std::string::npos) << text;
  EXPECT_NE(text.find("-tag:v:2 hvc1"), std::string::npos);
  EXPECT_NE(text.find("keyint=240:min-keyint=240:scenecut=0:open-gop=0:repeat-headers=1:hdr10=1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("-color_primaries:v:2 bt2020 -color_trc:v:2 smpte2084 -colorspace:v:2 bt2020nc"),
            std::string::npos);
  ASSERT_EQ(command.hdr_video.size(), 1U);
  EXPECT_EQ(command.hdr_video[0].rendition, "720p-hdr");
  EXPECT_EQ(command.hdr_video[0].representation, 2);
  EXPECT_EQ(command.audio.at(0).representation, 3);
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
  EXPECT_NE(
      text.find("-map 0:1 -filter:a:0 aresample=async=1:first_pts=0 -c:a:0 aac -b:a:0 128k -ac:a:0 2 -ar:a:0 48000"),
      std::string::npos);
}

TEST(EncodeCommand, SaysWhichOutputIsWhichRendition) {
  auto info = source(true);
  info.audio.push_back({.index = 2, .codec = "ac3", .channels = 6, .sample_rate = 48000, .language = "fre"});
  const auto ladder = LadderPlanner({.renditions = {"720p", "360p"}}).plan(info);
  ASSERT_TRUE(ladder.has_value());
  const auto command = build_encode_command("in.mp4", info, *ladder, {}, "/tmp/out");
  ASSERT_EQ(command.video.size(), 2U);
  ASSERT_EQ(command.audio.size(), 3U);  // stereo of each track, 5.1 of the French one
  EXPECT_EQ(command.video[1].rendition, "360p");
  EXPECT_EQ(command.video[1].representation, 1);
  EXPECT_EQ(command.audio[2].rendition, "aac-5.1-fr");
  EXPECT_EQ(command.audio[2].representation, 4);
  const auto text = joined(command);
  EXPECT_NE(
      text.find("-map 0:2 -filter:a:2 aresample=async=1:first_pts=0 -c:a:2 aac -b:a:2 384k -ac:a:2 6 -ar:a:2 48000"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("id=4,streams=4 -init_seg_name"), std::string::npos);
}

TEST(EncodeCommand, HasNoAudioOutputForASilentSource) {
  const auto command = command_for(source(false));
  EXPECT_EQ(count(command, "-c:a"), 0);
  EXPECT_EQ(joined(command).find("streams=3"), std::string::npos);
}

TEST(EncodeCommand, DeinterlacesOnceBeforeTheSplit) {
  const auto text = joined(command_for(source(true), /*interlaced=*/true));
  EXPECT_NE(text.find("[0:0]bwdif=mode=send_frame:parity=auto:deint=all,fps=fps=60:start_time=0,split=3"),
            std::string::npos);
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
