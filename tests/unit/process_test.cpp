#include "util/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

namespace st {
namespace {

using namespace std::chrono_literals;

ProcessResult run(std::vector<std::string> argv, ProcessLimits limits = {}, std::vector<std::string>* lines = nullptr,
                  std::stop_token stop = {}) {
  auto process = Process::spawn({.argv = std::move(argv), .limits = limits});
  EXPECT_TRUE(process.has_value()) << process.error().message;
  if (!process) return {};
  return process->wait(
      [&](std::string_view line) {
        if (lines) lines->emplace_back(line);
      },
      stop);
}

TEST(Process, DeliversStdoutLineByLine) {
  std::vector<std::string> lines;
  const auto result = run({"sh", "-c", "printf 'one\\ntwo\\nthree'"}, {}, &lines);
  EXPECT_TRUE(result.succeeded()) << result.describe();
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two", "three"}));
}

TEST(Process, ReportsTheExitCodeAndTheEndOfStderr) {
  const auto result = run({"sh", "-c", "echo 'something broke' >&2; exit 3"});
  EXPECT_FALSE(result.succeeded());
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.stderr_tail, "something broke\n");
  EXPECT_EQ(result.describe(), "exited with code 3");
}

TEST(Process, KeepsOnlyTheTailOfAChattyStderr) {
  auto process =
      Process::spawn({.argv = {"sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line$i >&2; i=$((i+1)); done"},
                      .stderr_tail_bytes = 100});
  ASSERT_TRUE(process.has_value());
  const auto result = process->wait(nullptr);
  EXPECT_LE(result.stderr_tail.size(), 100U);
  EXPECT_NE(result.stderr_tail.find("line1999"), std::string::npos);
}

TEST(Process, ExplainsAMissingExecutable) {
  const auto process = Process::spawn({.argv = {"no-such-program-st"}});
  ASSERT_FALSE(process.has_value());
  EXPECT_EQ(process.error().code, ErrorCode::kProcess);
  EXPECT_NE(process.error().message.find("not found on PATH"), std::string::npos);
}

TEST(Process, KillsAChildThatExceedsItsWallTime) {
  const auto start = std::chrono::steady_clock::now();
  const auto result = run({"sleep", "30"}, {.wall_time = 300ms});
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.term_signal, SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(Process, EnforcesTheCpuTimeLimit) {
  const auto result = run({"sh", "-c", "while :; do :; done"}, {.cpu_time = 1s});
  // What the kernel guarantees: SIGXCPU once the process has used its CPU
  // time, which a single thread cannot do in less wall time. (The rusage
  // figures are sampled per tick and may read lower on a loaded machine:
  // 0.83 s was seen, so they are not asserted.)
  EXPECT_EQ(result.term_signal, SIGXCPU) << result.describe();
  EXPECT_GE(result.wall_seconds, 0.99);
}

TEST(Process, EnforcesTheFileSizeLimit) {
  const auto file = std::filesystem::temp_directory_path() / ("st-fsize-" + std::to_string(::getpid()));
  const auto result =
      run({"sh", "-c", "head -c 10000000 /dev/zero > " + file.string()}, {.file_size_bytes = 1024 * 1024});
  EXPECT_FALSE(result.succeeded());
  EXPECT_LE(std::filesystem::file_size(file), 1024U * 1024U);
  std::filesystem::remove(file);
}

TEST(Process, AChildInheritsNoDescriptorBeyondTheStandardThree) {
  // A descriptor of ours without close-on-exec, as a library might leave one.
  // A high number, so that it cannot be the one ls opens for itself.
  const int opened = ::open("/dev/null", O_RDONLY);
  const int leaked = ::dup2(opened, 100);
  ::close(opened);
  ASSERT_EQ(leaked, 100);
  std::vector<std::string> lines;
  const auto result = run({"sh", "-c", "ls /proc/self/fd"}, {}, &lines);
  ::close(leaked);
  EXPECT_TRUE(result.succeeded()) << result.describe();
  // 0, 1, 2 and the one ls opens to read the directory.
  EXPECT_LE(lines.size(), 4U);
  EXPECT_EQ(std::find(lines.begin(), lines.end(), std::to_string(leaked)), lines.end())
      << "descriptor " << leaked << " reached the child";
}

TEST(Process, AChildGetsOnlyAllowListedVariablesAndWhatItIsGiven) {
  ::setenv("ST_S3__SECRET_ACCESS_KEY", "do-not-leak", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "do-not-leak", 1);
  auto process = Process::spawn({.argv = {"env"}, .environment = {"GIVEN=yes"}});
  ASSERT_TRUE(process.has_value());
  std::vector<std::string> lines;
  const auto result = process->wait([&](std::string_view line) { lines.emplace_back(line); });
  ::unsetenv("ST_S3__SECRET_ACCESS_KEY");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  EXPECT_TRUE(result.succeeded());
  for (const auto& line : lines) {
    EXPECT_EQ(line.find("do-not-leak"), std::string::npos) << line;
    const auto name = line.substr(0, line.find('='));
    const bool allowed = name == "GIVEN" || std::any_of(std::begin(kInheritedVariables), std::end(kInheritedVariables),
                                                        [&](std::string_view v) { return v == name; });
    EXPECT_TRUE(allowed) << line;
  }
  EXPECT_NE(std::find(lines.begin(), lines.end(), "GIVEN=yes"), lines.end());
}

TEST(Process, EnforcesTheAddressSpaceLimit) {
  // python3 cannot even start in 64 MiB of address space with a 256 MiB allocation.
  const auto result = run({"python3", "-c", "b = bytearray(256 * 1024 * 1024); print(len(b))"},
                          {.address_space_bytes = 128ULL * 1024 * 1024});
  EXPECT_FALSE(result.succeeded());
  EXPECT_NE(result.stderr_tail.find("MemoryError"), std::string::npos) << result.stderr_tail;
}

TEST(Process, StopsOnRequest) {
  std::stop_source stop;
  std::jthread requester([&] {
    std::this_thread::sleep_for(200ms);
    stop.request_stop();
  });
  const auto result = run({"sleep", "30"}, {}, nullptr, stop.get_token());
  EXPECT_TRUE(result.cancelled);
  EXPECT_FALSE(result.succeeded());
}

// Running means neither gone nor a zombie waiting for a parent to reap it.
bool is_running(pid_t pid) {
  std::FILE* stat = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (stat == nullptr) return false;
  std::array<char, 512> line{};
  const bool read = std::fgets(line.data(), line.size(), stat) != nullptr;
  std::fclose(stat);
  return read && std::string(line.data()).find(") Z") == std::string::npos;
}

TEST(Process, KillsTheWholeProcessGroupWhenDestroyed) {
  const auto pid_file = std::filesystem::temp_directory_path() / ("st-grandchild-" + std::to_string(::getpid()));
  pid_t child = 0;
  pid_t grandchild = 0;
  {
    auto process = Process::spawn({.argv = {"sh", "-c", "sleep 30 & echo $! > " + pid_file.string() + "; wait"}});
    ASSERT_TRUE(process.has_value());
    child = process->pid();
    for (int i = 0; i < 50 && grandchild == 0; ++i) {
      std::this_thread::sleep_for(20ms);
      std::ifstream in(pid_file);
      in >> grandchild;
    }
    ASSERT_GT(grandchild, 0);
    ASSERT_TRUE(is_running(grandchild));
  }
  std::filesystem::remove(pid_file);
  EXPECT_FALSE(is_running(child));
  for (int i = 0; i < 50 && is_running(grandchild); ++i) std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(is_running(grandchild));
}

TEST(RunCaptured, RefusesUnboundedOutput) {
  const auto run = run_captured({.argv = {"sh", "-c", "yes | head -c 100000"}}, 1000);
  ASSERT_FALSE(run.has_value());
  EXPECT_NE(run.error().message.find("more than 1000 bytes"), std::string::npos);
}

}  // namespace
}  // namespace st

namespace st {
namespace {

TEST(Process, RunsInTheWorkingDirectoryAskedFor) {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("st-cwd-{}", ::getpid());
  std::filesystem::create_directories(dir);
  auto run = run_captured(ProcessSpec{.argv = {"pwd"}, .working_directory = dir}, 4096, {});
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->stdout_text, dir.string() + "\n");
  // A directory that is not there is the child's failure to start, said as such.
  auto missing = run_captured(ProcessSpec{.argv = {"pwd"}, .working_directory = dir / "missing"}, 4096, {});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos) << missing.error().message;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace st
