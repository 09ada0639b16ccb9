// A helper server of a test (a fake key server, an OTLP receiver) as a child
// process that prints "listening PORT" once it serves on loopback; killed with
// the test.
#pragma once

#include <atomic>
#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "util/process.hpp"

namespace st::testing {

class ListeningChild {
 public:
  ListeningChild(std::vector<std::string> argv, const std::string& what) {
    auto process = Process::spawn({.argv = std::move(argv), .inherit_environment = true});
    EXPECT_TRUE(process.has_value()) << process.error().message;
    if (!process) return;
    pid_ = process->pid();
    reader_ = std::jthread([this, p = std::make_shared<Process>(std::move(*process))] {
      p->wait([this](std::string_view line) {
        if (line.starts_with("listening ")) port_ = std::stoi(std::string(line.substr(10)));
      });
    });
    for (int i = 0; i < 200 && port_ == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_NE(port_.load(), 0) << what << " did not start";
  }
  ListeningChild(const ListeningChild&) = delete;
  ListeningChild& operator=(const ListeningChild&) = delete;
  ~ListeningChild() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
  }

  [[nodiscard]] int port() const { return port_.load(); }

 private:
  pid_t pid_ = -1;
  std::atomic<int> port_{0};
  std::jthread reader_;  // declared last: joined first, while the rest still exists
};

}  // namespace st::testing
