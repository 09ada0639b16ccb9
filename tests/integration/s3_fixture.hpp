// An S3 API server for the tests (moto, `python3 -m moto.server`, on loopback),
// and a TCP proxy in front of it that cuts connections: a fault the real server
// cannot be asked to make.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "util/process.hpp"

namespace st::testing {

class MotoServer {
 public:
  MotoServer();
  MotoServer(const MotoServer&) = delete;
  MotoServer& operator=(const MotoServer&) = delete;
  ~MotoServer();
  [[nodiscard]] std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  std::unique_ptr<Process> process_;
  std::uint16_t port_ = 0;
};

// Forwards 127.0.0.1:port() to `target_port`; the first `cuts` connections are
// closed after `cut_after_bytes` bytes of response.
class CuttingProxy {
 public:
  CuttingProxy(std::uint16_t target_port, int cuts, std::size_t cut_after_bytes);
  CuttingProxy(const CuttingProxy&) = delete;
  CuttingProxy& operator=(const CuttingProxy&) = delete;
  ~CuttingProxy();
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] int cut() const { return cut_.load(); }

 private:
  void serve(const std::stop_token& stop);
  std::uint16_t target_port_;
  int cuts_;
  std::size_t cut_after_bytes_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<int> cut_{0};
  std::jthread thread_;
};

std::uint16_t free_port();

}  // namespace st::testing
