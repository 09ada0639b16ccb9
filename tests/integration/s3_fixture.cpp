#include "s3_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include <gtest/gtest.h>

namespace st::testing {

using namespace std::chrono_literals;

namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto address = loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto address = loopback(0);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t size = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

MotoServer::MotoServer() {
  port_ = free_port();
  auto process =
      Process::spawn({.argv = {"python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", std::to_string(port_)},
                      .inherit_environment = true});
  if (!process) {
    ADD_FAILURE() << process.error().message;
    return;
  }
  process_ = std::make_unique<Process>(std::move(*process));
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    const int fd = connect_to(port_);
    if (fd >= 0) {
      ::close(fd);
      return;
    }
    std::this_thread::sleep_for(100ms);
  }
  ADD_FAILURE() << "moto did not start on port " << port_;
}

MotoServer::~MotoServer() = default;  // Process kills and reaps it

CuttingProxy::CuttingProxy(std::uint16_t target_port, int cuts, std::size_t cut_after_bytes)
    : target_port_(target_port), cuts_(cuts), cut_after_bytes_(cut_after_bytes) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  auto address = loopback(0);
  ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t size = sizeof(address);
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
  port_ = ntohs(address.sin_port);
  ::listen(listener_, 64);
  thread_ = std::jthread([this](const std::stop_token& stop) { serve(stop); });
}

CuttingProxy::~CuttingProxy() {
  thread_.request_stop();
  thread_.join();
  ::close(listener_);
}

void CuttingProxy::serve(const std::stop_token& stop) {
  std::vector<std::jthread> pipes;
  while (!stop.stop_requested()) {
    pollfd ready{listener_, POLLIN, 0};
    if (::poll(&ready, 1, 100) <= 0) continue;
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    const int server = connect_to(target_port_);
    if (server < 0) {
      ::close(client);
      continue;
    }
    const bool cut = connections_++ < cuts_;
    // One thread per connection pumps both directions until either side closes.
    pipes.emplace_back([this, client, server, cut](const std::stop_token& pipe_stop) {
      std::size_t to_client = 0;
      std::vector<char> buffer(64 * 1024);
      std::array<pollfd, 2> fds = {pollfd{client, POLLIN, 0}, pollfd{server, POLLIN, 0}};
      bool open = true;
      while (open && !pipe_stop.stop_requested()) {
        if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
        for (std::size_t i = 0; i < fds.size() && open; ++i) {
          if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
          const auto n = ::read(fds[i].fd, buffer.data(), buffer.size());
          if (n <= 0) {
            open = false;
            break;
          }
          auto count = static_cast<std::size_t>(n);
          if (i == 1 && cut && to_client + count > cut_after_bytes_) {
            count = cut_after_bytes_ - to_client;
            open = false;
            ++cut_;
          }
          if (::write(fds[1 - i].fd, buffer.data(), count) < 0) open = false;
          if (i == 1) to_client += count;
        }
      }
      ::close(client);
      ::close(server);
    });
  }
}

}  // namespace st::testing
