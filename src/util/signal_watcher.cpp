#include "util/signal_watcher.hpp"

#include <pthread.h>
#include <csignal>

namespace st {
namespace {

// SIGUSR1 only wakes the watcher when it is destroyed; it requests nothing.
constexpr int kWakeSignal = SIGUSR1;

sigset_t watched_signals() {
  sigset_t set;
  ::sigemptyset(&set);
  ::sigaddset(&set, SIGINT);
  ::sigaddset(&set, SIGTERM);
  ::sigaddset(&set, kWakeSignal);
  return set;
}

}  // namespace

SignalWatcher::SignalWatcher() {
  const sigset_t set = watched_signals();
  ::pthread_sigmask(SIG_BLOCK, &set, &previous_mask_);
  thread_ = std::jthread([this](const std::stop_token& own_stop) {
    const sigset_t wanted = watched_signals();
    while (!own_stop.stop_requested()) {
      int sig = 0;
      if (::sigwait(&wanted, &sig) != 0 || sig == kWakeSignal) continue;
      int expected = 0;
      received_.compare_exchange_strong(expected, sig);
      source_.request_stop();
    }
  });
}

SignalWatcher::~SignalWatcher() {
  thread_.request_stop();
  // Directed at the watcher thread, so it cannot be taken by anyone else.
  ::pthread_kill(thread_.native_handle(), kWakeSignal);
  thread_.join();
  ::pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

}  // namespace st
