#include "jobs/queue_listener.hpp"

#include <chrono>

#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

namespace st {
namespace {

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection& connection, std::function<void()>& callback)
      : pqxx::notification_receiver(connection, "jobs_queued"), callback_(callback) {}
  void operator()(const std::string& /*payload*/, int /*backend_pid*/) override { callback_(); }

 private:
  std::function<void()>& callback_;
};

}  // namespace

QueueListener::QueueListener(std::string conninfo, std::function<void()> on_notification)
    : conninfo_(std::move(conninfo)), on_notification_(std::move(on_notification)) {}

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
      Receiver receiver(connection, on_notification_);
      retry_in = std::chrono::milliseconds(500);
      // Whatever was queued while we were not listening.
      on_notification_();
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
