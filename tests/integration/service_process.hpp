// `stream-transcoding serve` as a child process of a test, and the clients
// tests talk to it with (curl for HTTP).
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "util/process.hpp"

namespace st::testing {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

// One `stream-transcoding serve` process; its stdout (JSON log lines) is collected.
class ServiceProcess {
 public:
  explicit ServiceProcess(std::vector<std::string> environment) {
    environment.insert(environment.end(), {"ST_HTTP__PORT=0", "ST_HTTP__HOST=127.0.0.1", "ST_LOG__FORMAT=json"});
    // Without Kafka or S3 unless the test names them: the dev stack's (exported
    // by scripts/test.sh) are shared, and tests must not see each other's work.
    // Without authentication unless the test sets it up (tests/integration/api_test.cpp does).
    for (const auto* name : {"ST_KAFKA__BOOTSTRAP_SERVERS=", "ST_S3__ENDPOINT=", "ST_AUTH__ENABLED=false",
                             "ST_AUTH__DEVELOPMENT=true"}) {
      const std::string_view variable(name);
      const auto prefix = variable.substr(0, variable.find('=') + 1);
      const bool named = std::any_of(environment.begin(), environment.end(),
                                     [prefix](const std::string& e) { return e.starts_with(prefix); });
      if (!named) environment.emplace_back(name);
    }
    auto process =
        Process::spawn({.argv = {ST_BINARY, "serve"}, .environment = environment, .inherit_environment = true});
    EXPECT_TRUE(process.has_value()) << process.error().message;
    if (!process) return;
    pid_ = process->pid();
    reader_ = std::jthread([this, p = std::make_shared<Process>(std::move(*process))] {
      auto result = p->wait([this](std::string_view line) {
        std::lock_guard lock(mutex_);
        lines_.emplace_back(line);
      });
      std::lock_guard lock(mutex_);
      result_ = result;
    });
  }
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;
  ~ServiceProcess() {
    if (pid_ > 0 && !exited()) ::kill(pid_, SIGKILL);
  }

  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard lock(mutex_);
        for (const auto& line : lines_) {
          if (line.find(needle) != std::string::npos) return true;
        }
        if (result_) return false;
      }
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  std::uint16_t port() {
    if (!wait_for_log("listening on")) return 0;
    std::lock_guard lock(mutex_);
    const std::regex listening("listening on [0-9.]+:([0-9]+)");
    for (const auto& line : lines_) {
      std::smatch match;
      if (std::regex_search(line, match, listening)) return static_cast<std::uint16_t>(std::stoi(match[1]));
    }
    return 0;
  }

  void signal(int sig) const { ::kill(pid_, sig); }

  std::optional<ProcessResult> wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard lock(mutex_);
        if (result_) return result_;
      }
      std::this_thread::sleep_for(20ms);
    }
    return std::nullopt;
  }

  bool exited() {
    std::lock_guard lock(mutex_);
    return result_.has_value();
  }

  std::string log() {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& l : lines_) out += l + "\n";
    return out;
  }

 private:
  pid_t pid_ = -1;
  std::mutex mutex_;
  std::vector<std::string> lines_;
  std::optional<ProcessResult> result_;
  std::jthread reader_;
};

struct Reply {
  int status = 0;
  json body;
};

inline Reply http(const std::string& method, std::uint16_t port, const std::string& path,
                  const std::string& body = "") {
  std::vector<std::string> argv = {
      "curl", "-s", "-m", "10", "-X", method, "-w", "\n%{http_code}", fmt::format("http://127.0.0.1:{}{}", port, path)};
  // From a file: one argument may not exceed 128 KiB on Linux, and the 413 test sends 2 MiB.
  const auto body_file =
      fs::temp_directory_path() /
      fmt::format("st-body-{}-{}", ::getpid(), std::hash<std::thread::id>{}(std::this_thread::get_id()));
  if (!body.empty()) {
    std::ofstream(body_file, std::ios::binary) << body;
    argv.insert(argv.end(),
                {"-H", "Content-Type: application/json", "--data-binary", fmt::format("@{}", body_file.string())});
  }
  // curl's exit status is not checked: an upload cut short by a 413 still has a response.
  auto run = run_captured({.argv = argv}, 1 << 20);
  fs::remove(body_file);
  if (!run) return {};
  auto text = run->stdout_text;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const auto nl = text.rfind('\n');
  Reply reply;
  reply.status = std::stoi(text.substr(nl + 1));
  reply.body = json::parse(text.substr(0, nl), nullptr, false);
  return reply;
}

// The body of GET `path`, as text (e.g. /metrics).
inline std::string http_text(std::uint16_t port, const std::string& path) {
  auto run =
      run_captured({.argv = {"curl", "-s", "-m", "10", fmt::format("http://127.0.0.1:{}{}", port, path)}}, 1 << 20);
  return run ? run->stdout_text : std::string();
}

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return predicate();
}

}  // namespace st::testing
