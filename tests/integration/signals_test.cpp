// Ctrl-C and SIGTERM stop ffmpeg, remove the partial output and exit non-zero.
#include <signal.h>

#include <gtest/gtest.h>

#include <fstream>

#include "media_fixtures.hpp"

namespace st {
namespace {

using testing::fresh_dir;
namespace fs = std::filesystem;

// Whether any process still runs with `needle` in its command line.
bool process_mentions(const std::string& needle) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(needle) != std::string::npos) {
      std::ifstream stat(entry.path() / "stat");
      std::string line;
      std::getline(stat, line);
      if (line.find(") Z") == std::string::npos) return true;
    }
  }
  return false;
}

class StopSignalTest : public ::testing::TestWithParam<int> {};

TEST_P(StopSignalTest, StopsFfmpegRemovesThePartialOutputAndExitsNonZero) {
  const int sig = GetParam();
  const auto dir = fresh_dir("signal-" + std::to_string(sig));
  bool sent = false;
  const auto run = testing::run_cli({"transcode", testing::source("long_1080p").string(), "-o", (dir / "out").string(),
                                     "--preset", "medium", "--json"},
                                    [&](std::string_view line, pid_t pid) {
                                      // Once ffmpeg has produced something, the staging folder holds partial segments.
                                      if (!sent && line.find("\"event\":\"progress\"") != std::string::npos &&
                                          line.find("\"encoded_seconds\":0,") == std::string::npos) {
                                        ::kill(pid, sig);
                                        sent = true;
                                      }
                                    });
  ASSERT_TRUE(sent) << "the transcode finished before it could be interrupted";
  EXPECT_EQ(run.result.exit_code, 128 + sig) << run.stderr_text();
  EXPECT_TRUE(testing::tree(dir).empty()) << "left behind: " << testing::tree(dir).front();
  EXPECT_FALSE(process_mentions(dir.string())) << "ffmpeg still runs";
}

INSTANTIATE_TEST_SUITE_P(Signals, StopSignalTest, ::testing::Values(SIGINT, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& param_info) {
                           return param_info.param == SIGINT ? "SIGINT" : "SIGTERM";
                         });

}  // namespace
}  // namespace st
