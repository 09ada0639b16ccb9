// Every kind of bad input: exit code 2, a message a person can act on, and
// nothing left behind (no output directory, no manifest, no staging folder).
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>

#include "media/input_policy.hpp"
#include "media_fixtures.hpp"

namespace st {
namespace {

using testing::fresh_dir;
using testing::run_cli;
using testing::source;
namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

void copy_prefix(const fs::path& from, const fs::path& to, double share) {
  const auto bytes = testing::read_text(from);
  write_file(to, bytes.substr(0, static_cast<std::size_t>(static_cast<double>(bytes.size()) * share)));
}

struct BadInput {
  std::string name;
  // Prepares the input inside `dir` and returns the command-line arguments after "transcode".
  std::function<std::vector<std::string>(const fs::path& dir, const fs::path& out)> prepare;
  std::string message;  // must appear on stderr
};

std::vector<std::string> args(const fs::path& input, const fs::path& out, std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {input.string(), "-o", out.string(), "--preset", "ultrafast", "--json"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

const std::vector<BadInput>& cases() {
  static const std::vector<BadInput> kCases = {
      {"MissingFile", [](const fs::path& d, const fs::path& o) { return args(d / "nope.mp4", o); }, "does not exist"},
      {"ZeroBytes",
       [](const fs::path& d, const fs::path& o) {
         write_file(d / "empty.mp4", "");
         return args(d / "empty.mp4", o);
       },
       "is empty (0 bytes)"},
      {"RandomBytes",
       [](const fs::path& d, const fs::path& o) {
         std::string noise(200'000, '\0');
         std::uint32_t x = 2463534242;
         for (auto& c : noise) {
           x ^= x << 13;
           x ^= x >> 17;
           x ^= x << 5;
           c = static_cast<char>(x & 0xFF);
         }
         write_file(d / "noise.mp4", noise);
         return args(d / "noise.mp4", o);
       },
       "not a valid MP4/MOV file"},
      {"RandomTextWithoutAVideoExtension",
       [](const fs::path& d, const fs::path& o) {
         write_file(d / "notes.bin", std::string(5000, 'x'));
         return args(d / "notes.bin", o);
       },
       "not a recognised video file or it is corrupt"},
      {"TruncatedMp4WithItsIndexAtTheEnd",
       [](const fs::path& d, const fs::path& o) {
         copy_prefix(source("landscape_1080p"), d / "cut.mp4", 0.5);
         return args(d / "cut.mp4", o);
       },
       "truncated"},
      {"TruncatedMp4WithItsIndexAtTheFront",
       [](const fs::path& d, const fs::path& o) {
         const auto faststart = d / "faststart.mp4";
         auto run = run_captured({.argv = {"ffmpeg", "-v", "error", "-y", "-i", source("landscape_1080p").string(),
                                           "-c", "copy", "-movflags", "+faststart", faststart.string()}},
                                 4096);
         EXPECT_TRUE(run && run->result.succeeded());
         copy_prefix(faststart, d / "cut.mp4", 0.4);
         return args(d / "cut.mp4", o, {"--renditions", "240p"});
       },
       "truncated or corrupt: only"},
      {"HlsPlaylistNamedLikeAVideo",
       [](const fs::path& d, const fs::path& o) {
         write_file(d / "movie.mp4", "#EXTM3U\n#EXTINF:2,\n/etc/passwd\n#EXT-X-ENDLIST\n");
         return args(d / "movie.mp4", o);
       },
       "is an HLS playlist, not a video file"},
      {"ConcatScriptNamedLikeAVideo",
       [](const fs::path& d, const fs::path& o) {
         write_file(d / "movie.mp4", "ffconcat version 1.0\nfile '/etc/passwd'\n");
         return args(d / "movie.mp4", o);
       },
       "is an ffmpeg concat script"},
      {"AnImageIsNotAVideoContainer",
       [](const fs::path& d, const fs::path& o) {
         fs::copy_file(source("image_png"), d / "picture.mp4");
         return args(d / "picture.mp4", o);
       },
       "container format is not accepted"},
      {"AudioOnlyFile", [](const fs::path&, const fs::path& o) { return args(source("audio_only"), o); },
       "has no video stream"},
      {"ADirectory",
       [](const fs::path& d, const fs::path& o) {
         fs::create_directories(d / "folder.mp4");
         return args(d / "folder.mp4", o);
       },
       "is not a regular file"},
      {"AFifo",
       [](const fs::path& d, const fs::path& o) {
         ::mkfifo((d / "pipe.ts").c_str(), 0600);
         return args(d / "pipe.ts", o);
       },
       "is not a regular file"},
      {"LongerThanTheDurationLimit",
       [](const fs::path&, const fs::path& o) {
         return args(source("short_2s"), o, {"--max-duration", "1"});
       },
       "--max-duration"},
      {"LargerThanTheSizeLimit",
       [](const fs::path&, const fs::path& o) {
         return args(source("short_2s"), o, {"--max-width", "640"});
       },
       "larger than the limit of 640x7680"},
      {"FasterThanTheFrameRateLimit",
       [](const fs::path&, const fs::path& o) {
         return args(source("short_2s"), o, {"--max-frame-rate", "24"});
       },
       "more than the limit of 24"},
      {"UnknownRendition",
       [](const fs::path&, const fs::path& o) {
         return args(source("short_2s"), o, {"--renditions", "999p"});
       },
       "unknown rendition '999p'"},
      {"RenditionLargerThanTheSource",
       [](const fs::path&, const fs::path& o) {
         return args(source("short_2s"), o, {"--renditions", "2160p"});
       },
       "none of the requested renditions fits a 1280x720 source"},
      {"UnknownPreset",
       [](const fs::path&, const fs::path& o) {
         auto a = args(source("short_2s"), o);
         a[4] = "warp-speed";
         return a;
       },
       "unknown preset 'warp-speed': use one of ultrafast, superfast, veryfast"},
      // Refused by the command-line parser, reported as every other failure (an
      // `error` event with --json).
      {"ASegmentDurationOfZero",
       [](const fs::path&, const fs::path& o) {
         return args(source("short_2s"), o, {"--segment-duration", "0"});
       },
       "--segment-duration: Value 0 not in range"},
      {"NoOutputDirectory",
       [](const fs::path&, const fs::path&) {
         return std::vector<std::string>{source("short_2s").string(), "--json"};
       },
       "--output is required"},
  };
  return kCases;
}

// Names the case in gtest's messages instead of dumping its bytes.
void PrintTo(const BadInput& c, std::ostream* os) {
  *os << c.name;
}

class BadInputTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(BadInputTest, ExitsWithCodeTwoAClearMessageAndNoOutput) {
  const auto& c = GetParam();
  const auto dir = fresh_dir("bad-" + c.name);
  const auto outputs = fresh_dir("bad-" + c.name + "-outputs");
  const auto start = std::chrono::steady_clock::now();
  const auto run = run_cli([&] {
    auto a = c.prepare(dir, outputs / "out");
    a.insert(a.begin(), "transcode");
    return a;
  }());
  EXPECT_EQ(run.result.exit_code, 2) << run.stderr_text();
  EXPECT_NE(run.stderr_text().find(c.message), std::string::npos) << run.stderr_text();
  // Bad input is refused quickly: nothing waited on a FIFO or a network.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  EXPECT_TRUE(testing::tree(outputs).empty()) << "left behind: " << testing::tree(outputs).front();
  const auto events = run.events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["event"], "error");
}

INSTANTIATE_TEST_SUITE_P(Inputs, BadInputTest, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<BadInput>& param_info) { return param_info.param.name; });

TEST(BadInput, AnExistingOutputIsNotOverwrittenWithoutForce) {
  const auto dir = fresh_dir("exists");
  fs::create_directories(dir / "out");
  write_file(dir / "out" / "keep.txt", "precious");
  const auto run = run_cli({"transcode", source("short_2s").string(), "-o", (dir / "out").string()});
  EXPECT_EQ(run.result.exit_code, 2);
  EXPECT_NE(run.stderr_text().find("--force"), std::string::npos);
  EXPECT_EQ(testing::read_text(dir / "out" / "keep.txt"), "precious");
  EXPECT_EQ(testing::tree(dir), (std::vector<std::string>{"out", "out/keep.txt"}));
}

TEST(BadInput, MissingArgumentsAreAUsageError) {
  const auto run = run_cli({"transcode"});
  EXPECT_EQ(run.result.exit_code, 2);
  // stdout is not a terminal here: JSON lines, so a script reading them sees why.
  const auto events = run.events();
  ASSERT_EQ(events.size(), 1U) << run.stdout_lines.size();
  EXPECT_EQ(events.front().at("event"), "error");
  EXPECT_EQ(events.front().at("code"), "usage");
}

// A time limit the user set is reached: neither our failure (1) nor bad input
// (2) but 124, as timeout(1) says it; nothing is left behind.
TEST(BadInput, ReachingTheUsersTimeLimitExitsWith124AndLeavesNothing) {
  const auto dir = fresh_dir("time-limit");
  const auto run = run_cli(
      {"transcode", source("landscape_1080p").string(), "-o", (dir / "out").string(), "--time-limit", "0.5", "--json"});
  EXPECT_EQ(run.result.exit_code, 124) << run.stderr_text();
  const auto events = run.events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().at("event"), "error");
  EXPECT_EQ(events.back().at("code"), "time_limit");
  EXPECT_NE(events.back().at("message").get<std::string>().find("--time-limit 0.5 s"), std::string::npos);
  EXPECT_TRUE(testing::tree(dir).empty()) << "left behind: " << testing::tree(dir).front();
}

// The whitelists themselves, below our own sniffing: ffprobe opened with our input
// arguments refuses a playlist that names a FIFO instead of opening (and blocking on) it.
TEST(InputPolicy, FfprobeRefusesAPlaylistThatNamesAnotherFile) {
  const auto dir = fresh_dir("whitelist");
  ::mkfifo((dir / "trap.ts").c_str(), 0600);
  write_file(dir / "list.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\ntrap.ts\n#EXT-X-ENDLIST\n");
  std::vector<std::string> argv = {"ffprobe", "-v", "error"};
  for (auto& a : safe_input_arguments(dir / "list.m3u8")) argv.push_back(a);
  argv.insert(argv.end(), {"-show_streams"});
  auto run = run_captured({.argv = argv, .limits = {.wall_time = std::chrono::seconds(20)}}, 1 << 20);
  ASSERT_TRUE(run.has_value());
  EXPECT_FALSE(run->result.timed_out) << "ffprobe blocked on the FIFO named by the playlist";
  EXPECT_FALSE(run->result.succeeded());
  EXPECT_NE(run->result.stderr_tail.find("not on whitelist"), std::string::npos) << run->result.stderr_tail;
}

}  // namespace
}  // namespace st
