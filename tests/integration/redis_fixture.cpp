#include "redis_fixture.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "media_fixtures.hpp"

namespace st::testing {
namespace {

using namespace std::chrono_literals;

// A port nothing listens on now (the kernel's pick, then released).
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

void run_or_fail(const std::vector<std::string>& argv) {
  auto run = run_captured({.argv = argv}, 1 << 16);
  ASSERT_TRUE(run && run->result.succeeded()) << argv.front() << " failed: " << (run ? run->result.stderr_tail : "");
}

}  // namespace

RedisServer::RedisServer(RedisServerOptions options) : options_(std::move(options)) {
  static int counter = 0;
  dir_ = fresh_dir(fmt::format("redis-{}-{}", ::getpid(), ++counter));
  port_ = free_port();
  if (options_.tls) {
    const auto d = dir_.string();
    run_or_fail({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/ca.key", "-out",
                 d + "/ca.crt", "-days", "1", "-subj", "/CN=stream-transcoding test CA"});
    run_or_fail({"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/server.key", "-out",
                 d + "/server.csr", "-subj", "/CN=localhost"});
    std::ofstream(dir_ / "ext.cnf") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    run_or_fail({"openssl", "x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.crt", "-CAkey", d + "/ca.key",
                 "-CAcreateserial", "-out", d + "/server.crt", "-days", "1", "-extfile", d + "/ext.cnf"});
  }
  start();
}

RedisServer::~RedisServer() {
  resume();
  kill();
}

std::string RedisServer::url() const {
  const auto auth = options_.password.empty() ? std::string() : fmt::format(":{}@", options_.password);
  return fmt::format("{}://{}127.0.0.1:{}", options_.tls ? "rediss" : "redis", auth, port_);
}

void RedisServer::start() {
  std::vector<std::string> argv = {"redis-server",
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--dir",
                                   dir_.string(),
                                   "--logfile",
                                   (dir_ / "server.log").string()};
  if (options_.tls) {
    argv.insert(argv.end(), {"--port", "0", "--tls-port", std::to_string(port_), "--tls-cert-file",
                             (dir_ / "server.crt").string(), "--tls-key-file", (dir_ / "server.key").string(),
                             "--tls-ca-cert-file", ca_file().string(), "--tls-auth-clients", "no"});
  } else {
    argv.insert(argv.end(), {"--port", std::to_string(port_)});
  }
  if (!options_.password.empty()) argv.insert(argv.end(), {"--requirepass", options_.password});
  auto process = Process::spawn({.argv = argv});
  ASSERT_TRUE(process.has_value()) << process.error().message;
  pid_ = process->pid();
  process_ = std::make_unique<Process>(std::move(*process));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cli("PING").find("PONG") != std::string::npos) return;
    std::this_thread::sleep_for(50ms);
  }
  ADD_FAILURE() << "redis-server did not start on port " << port_;
}

void RedisServer::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  process_.reset();  // reaps it
  pid_ = -1;
}

void RedisServer::pause() const {
  if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void RedisServer::resume() const {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

std::string RedisServer::cli(const std::string& command) const {
  std::vector<std::string> argv = {"redis-cli", "-h", "127.0.0.1", "-p", std::to_string(port_)};
  if (options_.tls) argv.insert(argv.end(), {"--tls", "--cacert", ca_file().string()});
  if (!options_.password.empty()) argv.insert(argv.end(), {"--no-auth-warning", "-a", options_.password});
  std::size_t start = 0;
  while (start <= command.size()) {
    auto end = command.find(' ', start);
    if (end == std::string::npos) end = command.size();
    if (end > start) argv.push_back(command.substr(start, end - start));
    start = end + 1;
  }
  auto run = run_captured({.argv = argv, .limits = {.wall_time = std::chrono::seconds(5)}}, 1 << 20);
  return run ? run->stdout_text : std::string();
}

}  // namespace st::testing
