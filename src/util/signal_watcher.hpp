// Turns SIGINT and SIGTERM into a std::stop_source request.
//
// Signal handlers may not take locks, and std::stop_source may. So the signals
// are blocked in every thread (the constructor must run before any thread is
// started) and one watcher thread receives them with sigwait, where any call is
// allowed. Children re-enable the signals before exec (see Process).
#pragma once

#include <atomic>
#include <csignal>
#include <stop_token>
#include <thread>

namespace st {

class SignalWatcher {
 public:
  SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;
  ~SignalWatcher();

  [[nodiscard]] std::stop_token token() const { return source_.get_token(); }
  // The signal that requested the stop, or 0.
  [[nodiscard]] int received_signal() const { return received_.load(); }

 private:
  sigset_t previous_mask_{};  // of the constructing thread, restored on destruction
  std::stop_source source_;
  std::atomic<int> received_{0};
  std::jthread thread_;
};

}  // namespace st
