// A Redis server for one test (Debian's redis-server, in memory only), on a
// port of its own so a test may kill, pause and restart it. Optionally with
// TLS, with a CA and a server certificate made by the openssl command.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "util/process.hpp"

namespace st::testing {

struct RedisServerOptions {
  std::string password;  // requirepass
  bool tls = false;
};

class RedisServer {
 public:
  explicit RedisServer(RedisServerOptions options = {});
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;
  ~RedisServer();

  // redis:// (or rediss://) on 127.0.0.1, with the password when there is one.
  [[nodiscard]] std::string url() const;
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::filesystem::path ca_file() const { return dir_ / "ca.crt"; }

  void kill();          // SIGKILL: everything in it is lost
  void start();         // again, on the same port, empty
  void pause() const;   // SIGSTOP: connections stay open, nothing answers
  void resume() const;  // SIGCONT
  // Runs a command with redis-cli and returns its output.
  [[nodiscard]] std::string cli(const std::string& command) const;

 private:
  RedisServerOptions options_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Process> process_;
  pid_t pid_ = -1;
};

}  // namespace st::testing
