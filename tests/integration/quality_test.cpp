// The quality meter on renditions whose distance from the source is known:
// one lossless (it must score the cap), one at a generous and one at a
// starved bit rate of the same size (the scores must order them).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "media/probe.hpp"
#include "media_fixtures.hpp"
#include "pipeline/quality.hpp"
#include "util/process.hpp"

namespace st {
namespace {

namespace fs = std::filesystem;
using testing::fresh_dir;

void run_ffmpeg(std::vector<std::string> args) {
  args.insert(args.begin(), {"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"});
  auto run = run_captured(ProcessSpec{.argv = args}, 1 << 16, {});
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_TRUE(run->result.succeeded()) << run->result.stderr_tail;
}

VideoRendition rendition(std::string name) {
  return {.name = std::move(name), .width = 640, .height = 360, .frame_rate = {30, 1}, .bitrate_kbps = 1000};
}

TEST(QualityMeter, ScoresALosslessRenditionAtTheCapAndOrderAStarvedOneBelowAGenerousOne) {
  const auto dir = fresh_dir("quality-meter");
  // A lossless source, so that a lossless rendition is exactly its pictures.
  const auto source = dir / "source.mkv";
  run_ffmpeg({"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-t", "4", "-c:v", "libx264", "-qp", "0",
              "-pix_fmt", "yuv420p", source.string()});
  // Three representations in the encoder's layout (init-N.mp4, seg-N-00001.m4s), one 4-second segment each.
  const auto scratch = dir / ".encoder";
  fs::create_directories(scratch);
  std::vector<std::string> args = {"-i",
                                   source.string(),
                                   "-map",
                                   "0:v",
                                   "-map",
                                   "0:v",
                                   "-map",
                                   "0:v",
                                   "-c:v",
                                   "libx264",
                                   "-preset",
                                   "veryfast",
                                   "-g",
                                   "120",
                                   "-qp:v:0",
                                   "0",
                                   "-b:v:1",
                                   "3000k",
                                   "-b:v:2",
                                   "60k",
                                   "-maxrate:v:2",
                                   "60k",
                                   "-bufsize:v:2",
                                   "60k",
                                   "-f",
                                   "dash",
                                   "-seg_duration",
                                   "4",
                                   "-use_template",
                                   "1",
                                   "-use_timeline",
                                   "1",
                                   "-init_seg_name",
                                   "init-$RepresentationID$.mp4",
                                   "-media_seg_name",
                                   "seg-$RepresentationID$-$Number%05d$.m4s",
                                   (scratch / "ffmpeg.mpd").string()};
  run_ffmpeg(args);

  auto info = Prober(ProbeLimits{}).probe(source, {});
  ASSERT_TRUE(info) << info.error().message;
  Ladder ladder{.frame_rate = {30, 1}};
  ladder.video = {rendition("lossless"), rendition("generous"), rendition("starved")};
  EncodeCommand command{.output_dir = scratch};
  command.video = {{"lossless", 0}, {"generous", 1}, {"starved", 2}};

  std::vector<std::vector<std::string>> commands;
  const QualityMeter meter({.windows = 1, .window_seconds = 2});
  auto report = meter.measure(source, *info, ladder, command, 4, {}, commands);
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(commands.size(), 1U);  // one ffmpeg for the window, every rendition in it
  ASSERT_EQ(report->renditions.size(), 3U);
  const auto& lossless = report->renditions[0];
  const auto& generous = report->renditions[1];
  const auto& starved = report->renditions[2];
  EXPECT_EQ(lossless.frames, 60);  // two seconds at 30 frames per second
  EXPECT_DOUBLE_EQ(lossless.mean.psnr, kMaxPsnr);
  EXPECT_DOUBLE_EQ(lossless.mean.psnr_y, kMaxPsnr);
  EXPECT_DOUBLE_EQ(lossless.p5.psnr, kMaxPsnr);
  EXPECT_NEAR(lossless.mean.ssim, 1.0, 1e-6);

  EXPECT_LT(generous.mean.psnr, kMaxPsnr);
  EXPECT_GT(generous.mean.psnr, starved.mean.psnr + 5) << generous.mean.psnr << " vs " << starved.mean.psnr;
  EXPECT_GT(generous.mean.ssim, starved.mean.ssim);
  EXPECT_GT(generous.p5.psnr, starved.p5.psnr);
  EXPECT_LE(starved.p5.psnr, starved.mean.psnr);
  EXPECT_GT(starved.mean.psnr, 10);                // the same picture, badly coded: not another picture
  EXPECT_FALSE(fs::exists(scratch / ".quality"));  // its scratch files are gone
}

TEST(QualityMeter, AStopRequestStopsIt) {
  const auto dir = fresh_dir("quality-stop");
  const auto source = testing::source("silent_360p");
  const auto scratch = dir / ".encoder";
  fs::create_directories(scratch);
  run_ffmpeg({"-i", source.string(), "-map", "0:v", "-c:v", "libx264", "-preset", "ultrafast", "-f", "dash",
              "-seg_duration", "4", "-init_seg_name", "init-$RepresentationID$.mp4", "-media_seg_name",
              "seg-$RepresentationID$-$Number%05d$.m4s", (scratch / "ffmpeg.mpd").string()});
  auto info = Prober(ProbeLimits{}).probe(source, {});
  ASSERT_TRUE(info);
  Ladder ladder{.frame_rate = {25, 1}};
  ladder.video = {rendition("360p")};
  ladder.video[0].frame_rate = {25, 1};
  EncodeCommand command{.output_dir = scratch};
  command.video = {{"360p", 0}};
  std::stop_source stop;
  stop.request_stop();
  std::vector<std::vector<std::string>> commands;
  auto report = QualityMeter({}).measure(source, *info, ladder, command, 4, stop.get_token(), commands);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kCancelled);
}

}  // namespace
}  // namespace st
