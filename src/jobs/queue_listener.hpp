// Listens to the jobs table's notifications through PostgreSQL's LISTEN/NOTIFY:
// `jobs_queued` (a job became claimable: wake idle workers) and
// `jobs_cancelled` (an operator cancelled a running job: its worker stops it
// now rather than at its next heartbeat). Workers also poll and heartbeat, so
// a lost notification or a reconnect costs latency, never a job.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <thread>

namespace st {

class QueueListener {
 public:
  // Channel name to what to do with a notification's payload. After every
  // (re)connection each callback is called once with an empty payload: what
  // happened while nobody listened.
  using Handlers = std::map<std::string, std::function<void(const std::string& payload)>>;

  QueueListener(std::string conninfo, Handlers handlers);
  QueueListener(const QueueListener&) = delete;
  QueueListener& operator=(const QueueListener&) = delete;
  ~QueueListener();  // stops listening

  void start();

 private:
  void listen_loop(const std::stop_token& stop);

  std::string conninfo_;
  Handlers handlers_;
  std::jthread thread_;
};

}  // namespace st
