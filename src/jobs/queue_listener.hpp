// Wakes idle workers when a job becomes claimable, through PostgreSQL's
// LISTEN/NOTIFY (the jobs table's trigger notifies `jobs_queued`). Workers also
// poll, so a lost notification or a reconnect costs latency, never a job.
#pragma once

#include <functional>
#include <string>
#include <thread>

namespace st {

class QueueListener {
 public:
  QueueListener(std::string conninfo, std::function<void()> on_notification);
  QueueListener(const QueueListener&) = delete;
  QueueListener& operator=(const QueueListener&) = delete;
  ~QueueListener();  // stops listening

  void start();

 private:
  void listen_loop(const std::stop_token& stop);

  std::string conninfo_;
  std::function<void()> on_notification_;
  std::jthread thread_;
};

}  // namespace st
