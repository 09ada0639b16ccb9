// tests/fakes/otlp_receiver.mjs as a child process of a test: an OTLP/HTTP
// trace receiver on loopback that decodes with the OpenTelemetry project's
// generated protobuf code and writes each span as a JSON line.
#pragma once

#include <atomic>
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

class OtlpReceiver {
 public:
  // `mode`: ok, slow (answers after `delay_ms`) or error (503).
  explicit OtlpReceiver(const std::string& mode = "ok", int delay_ms = 10000) : dir_(fresh_dir("otlp-" + mode)) {
    auto process = Process::spawn({.argv = {"node", ST_OTLP_RECEIVER, "--out", (dir_ / "spans.jsonl").string(),
                                            "--mode", mode, "--delay-ms", std::to_string(delay_ms)},
                                   .inherit_environment = true});
    EXPECT_TRUE(process.has_value()) << process.error().message;
    if (!process) return;
    pid_ = process->pid();
    reader_ = std::jthread([this, p = std::make_shared<Process>(std::move(*process))] {
      p->wait([this](std::string_view line) {
        if (line.starts_with("listening ")) port_ = std::stoi(std::string(line.substr(10)));
      });
    });
    for (int i = 0; i < 200 && port_ == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_NE(port_.load(), 0) << "the OTLP receiver did not start";
  }
  OtlpReceiver(const OtlpReceiver&) = delete;
  OtlpReceiver& operator=(const OtlpReceiver&) = delete;
  ~OtlpReceiver() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
  }

  [[nodiscard]] std::string endpoint() const { return fmt::format("http://127.0.0.1:{}", port_.load()); }

  // Every span received so far, and every request that did not decode ({"invalid": why}).
  [[nodiscard]] std::vector<nlohmann::json> received() const {
    std::vector<nlohmann::json> out;
    std::ifstream in(dir_ / "spans.jsonl");
    for (std::string line; std::getline(in, line);) {
      auto parsed = nlohmann::json::parse(line, nullptr, false);
      if (!parsed.is_discarded()) out.push_back(std::move(parsed));
    }
    return out;
  }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  std::atomic<int> port_{0};
  std::jthread reader_;
};

}  // namespace st::testing
