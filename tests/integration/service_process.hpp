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
#include <map>
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
  explicit ServiceProcess(std::vector<std::string> environment, std::vector<std::string> arguments = {}) {
    environment.insert(environment.end(), {"ST_HTTP__PORT=0", "ST_HTTP__HOST=127.0.0.1", "ST_LOG__FORMAT=json"});
    // Without Kafka, S3 or Redis unless the test names them: the dev stack's
    // (exported by scripts/test.sh) are shared, and tests must not see each other's work.
    // Without authentication unless the test sets it up (tests/integration/api_test.cpp does).
    for (const auto* name : {"ST_KAFKA__BOOTSTRAP_SERVERS=", "ST_S3__ENDPOINT=", "ST_REDIS__URL=",
                             "ST_AUTH__ENABLED=false", "ST_AUTH__DEVELOPMENT=true"}) {
      const std::string_view variable(name);
      const auto prefix = variable.substr(0, variable.find('=') + 1);
      const bool named = std::any_of(environment.begin(), environment.end(),
                                     [prefix](const std::string& e) { return e.starts_with(prefix); });
      if (!named) environment.emplace_back(name);
    }
    auto process = Process::spawn({.argv =
                                       [&] {
                                         std::vector<std::string> argv = {ST_BINARY, "serve"};
                                         argv.insert(argv.end(), arguments.begin(), arguments.end());
                                         return argv;
                                       }(),
                                   .environment = environment,
                                   .inherit_environment = true});
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

  // The HTTP port once the service has started all its parts ("started as").
  std::uint16_t port() {
    if (!wait_for_log("started as")) return 0;
    return listening_port();
  }

  // The HTTP port as soon as it listens (health and metrics answer before
  // the rest has started).
  std::uint16_t listening_port() {
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
  [[nodiscard]] pid_t pid() const { return pid_; }

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

  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
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
  std::map<std::string, std::string> headers;  // lower-case names
  std::string text;                            // the body as it came
};

// With ST_TEST_API_RECORD_DIR set, every reply is appended (one JSON line)
// to a file of this process there: tests/api/validate_responses.mjs checks
// each against docs/openapi.yaml after the suite.
inline void record_reply(const std::string& method, const std::string& path, const Reply& reply) {
  const char* directory = std::getenv("ST_TEST_API_RECORD_DIR");
  if (directory == nullptr || *directory == '\0') return;
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  fs::create_directories(directory);
  std::ofstream out(fs::path(directory) / fmt::format("replies-{}.ndjson", ::getpid()), std::ios::app);
  const auto type = reply.headers.find("content-type");
  out << json{{"method", method},
              {"path", path},
              {"status", reply.status},
              {"contentType", type == reply.headers.end() ? "" : type->second},
              {"body", reply.text}}
             .dump(-1, ' ', false, json::error_handler_t::replace)
      << "\n";
}

inline Reply http(const std::string& method, std::uint16_t port, const std::string& path, const std::string& body = "",
                  const std::vector<std::string>& headers = {}) {
  const auto scratch =
      fs::temp_directory_path() /
      fmt::format("st-http-{}-{}", ::getpid(), std::hash<std::thread::id>{}(std::this_thread::get_id()));
  const auto body_file = scratch.string() + ".body";
  const auto reply_file = scratch.string() + ".reply";
  const auto header_file = scratch.string() + ".headers";
  // The status on stdout; the reply's body and headers in files (a body may
  // be far longer than a line of run_captured).
  std::vector<std::string> argv = {"curl",
                                   "-s",
                                   "-m",
                                   "10",
                                   "-X",
                                   method,
                                   "-D",
                                   header_file,
                                   "-o",
                                   reply_file,
                                   "-w",
                                   "%{http_code}",
                                   fmt::format("http://127.0.0.1:{}{}", port, path)};
  for (const auto& header : headers) argv.insert(argv.end(), {"-H", header});
  // From a file: one argument may not exceed 128 KiB on Linux, and the 413 test sends 2 MiB.
  if (!body.empty()) {
    std::ofstream(body_file, std::ios::binary) << body;
    argv.insert(argv.end(), {"-H", "Content-Type: application/json", "--data-binary", "@" + body_file});
  }
  // curl's exit status is not checked: an upload cut short by a 413 still has a response.
  auto run = run_captured({.argv = argv}, 1 << 16);
  fs::remove(body_file);
  if (!run) return {};
  Reply reply;
  reply.status = std::atoi(run->stdout_text.c_str());
  {
    std::ifstream in(reply_file, std::ios::binary);
    reply.text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  fs::remove(reply_file);
  reply.body = json::parse(reply.text, nullptr, false);
  std::ifstream header_stream(header_file);
  for (std::string line; std::getline(header_stream, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(value.begin());
    reply.headers[name] = value;
  }
  fs::remove(header_file);
  if (reply.status != 0) record_reply(method, path, reply);
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
