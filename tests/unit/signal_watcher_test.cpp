#include "util/signal_watcher.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <thread>

namespace st {
namespace {

bool wait_for_stop(const std::stop_token& token) {
  for (int i = 0; i < 200 && !token.stop_requested(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return token.stop_requested();
}

TEST(SignalWatcher, TurnsSigtermIntoAStopRequest) {
  const SignalWatcher watcher;
  EXPECT_FALSE(watcher.token().stop_requested());
  ::kill(::getpid(), SIGTERM);
  EXPECT_TRUE(wait_for_stop(watcher.token()));
  EXPECT_EQ(watcher.received_signal(), SIGTERM);
}

TEST(SignalWatcher, TurnsCtrlCIntoAStopRequest) {
  const SignalWatcher watcher;
  ::kill(::getpid(), SIGINT);
  ASSERT_TRUE(wait_for_stop(watcher.token()));
  EXPECT_EQ(watcher.received_signal(), SIGINT);
}

TEST(SignalWatcher, EndsPromptlyWithoutAnySignal) {
  const auto start = std::chrono::steady_clock::now();
  { const SignalWatcher watcher; }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
}

}  // namespace
}  // namespace st
