#include "jobs/queue_listener.hpp"

#include <chrono>
#include <memory>
#include <vector>

#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

namespace st {
namespace {

class Receiver final : public pqxx::notification_receiver {
 public:
  using Callback = std::function<void(const std::string&)>;
  Receiver(pqxx::connection& connection, const std::string& channel, const Callback& callback)
      : pqxx::notification_receiver(connection, channel), callback_(callback) {}
  void operator()(const std::string& payload, int /*backend_pid*/) override { callback_(payload); }

 private:
  const Callback& callback_;
};

}  // namespace

QueueListener::QueueListener(std::string conninfo, Handlers handlers)
    : conninfo_(std::move(conninfo)), handlers_(std::move(handlers)) {}

QueueListener::~QueueListener() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

void QueueListener::start() {
  thread_ = std::jthread([this](const std::stop_token& stop) { listen_loop(stop); });
}

void QueueListener::listen_loop(const std::stop_token& stop) {
  auto retry_in = std::chrono::milliseconds(500);
  while (!stop.stop_requested()) {
    try {
      pqxx::connection connection(conninfo_);
      std::vector<std::unique_ptr<Receiver>> receivers;
      for (const auto& [channel, handler] : handlers_) {
        receivers.push_back(std::make_unique<Receiver>(connection, channel, handler));
      }
      retry_in = std::chrono::milliseconds(500);
      // Whatever happened while we were not listening.
      for (const auto& [channel, handler] : handlers_) handler("");
      while (!stop.stop_requested()) connection.await_notification(1, 0);
    } catch (const std::exception& e) {
      spdlog::warn("job notifications unavailable, workers poll meanwhile: {}", e.what());
      const auto until = std::chrono::steady_clock::now() + retry_in;
      while (!stop.stop_requested() && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      retry_in = std::min(retry_in * 2, std::chrono::milliseconds(30000));
    }
  }
}

}  // namespace st
