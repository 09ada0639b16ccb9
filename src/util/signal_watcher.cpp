#include "util/signal_watcher.hpp"

#include <pthread.h>
#include <csignal>

#include <ctime>

namespace st {
namespace {

sigset_t stop_signals() {
  sigset_t set;
  ::sigemptyset(&set);
  ::sigaddset(&set, SIGINT);
  ::sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

SignalWatcher::SignalWatcher() {
  const sigset_t set = stop_signals();
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::jthread([this](const std::stop_token& own_stop) {
    const sigset_t wanted = stop_signals();
    // A short timeout lets the destructor end the thread without sending it a signal.
    const timespec timeout{0, 200'000'000};
    while (!own_stop.stop_requested()) {
      const int sig = ::sigtimedwait(&wanted, nullptr, &timeout);
      if (sig > 0) {
        int expected = 0;
        received_.compare_exchange_strong(expected, sig);
        source_.request_stop();
      }
    }
  });
}

SignalWatcher::~SignalWatcher() {
  thread_.request_stop();
  thread_.join();
}

}  // namespace st
