// tests/fakes/speke_server.py as a child process of a test: a SPEKE v2.0 key
// server on loopback that records the keys it issues (its ledger) and the
// requests it received.
#pragma once

#include <csignal>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "media_fixtures.hpp"
#include "util/process.hpp"

namespace st::testing {

struct IssuedKey {
  std::string content_id;
  std::string kid;  // hex
  std::string key;  // hex
  std::string type;
};

class SpekeServer {
 public:
  // `mode`: ok, status-500, status-403, garbage, other-content, missing-key (see the script).
  // `sigv4`: "ACCESS_KEY:SECRET" that every request must be signed with.
  explicit SpekeServer(const std::string& mode = "ok", const std::string& sigv4 = "")
      : dir_(fresh_dir("speke-" + mode)) {
    std::vector<std::string> argv = {"python3",    ST_SPEKE_SERVER,
                                     "--ledger",   (dir_ / "ledger.jsonl").string(),
                                     "--requests", (dir_ / "requests.jsonl").string(),
                                     "--mode",     mode};
    if (!sigv4.empty()) argv.insert(argv.end(), {"--sigv4", sigv4});
    auto process = Process::spawn({.argv = argv, .inherit_environment = true});
    EXPECT_TRUE(process.has_value()) << process.error().message;
    if (!process) return;
    pid_ = process->pid();
    reader_ = std::jthread([this, p = std::make_shared<Process>(std::move(*process))] {
      p->wait([this](std::string_view line) {
        if (line.starts_with("listening ")) port_ = std::stoi(std::string(line.substr(10)));
      });
    });
    for (int i = 0; i < 200 && port_ == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_NE(port_.load(), 0) << "the SPEKE key server did not start";
  }
  SpekeServer(const SpekeServer&) = delete;
  SpekeServer& operator=(const SpekeServer&) = delete;
  ~SpekeServer() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
  }

  [[nodiscard]] std::string url() const {
    return fmt::format("http://127.0.0.1:{}/speke/v2.0/copyProtection", port_.load());
  }

  [[nodiscard]] std::vector<IssuedKey> issued() const {
    std::vector<IssuedKey> keys;
    std::ifstream in(dir_ / "ledger.jsonl");
    for (std::string line; std::getline(in, line);) {
      const auto j = nlohmann::json::parse(line);
      keys.push_back({j["contentId"], j["kid"], j["key"], j["type"].is_string() ? j["type"].get<std::string>() : ""});
    }
    return keys;
  }

  [[nodiscard]] std::vector<nlohmann::json> requests() const {
    std::vector<nlohmann::json> out;
    std::ifstream in(dir_ / "requests.jsonl");
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  std::atomic<int> port_{0};
  std::jthread reader_;
};

}  // namespace st::testing
