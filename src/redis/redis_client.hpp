// The service's Redis: a small pool of RedisConnections shared by every
// thread, the key prefix, Lua scripts, and the bookkeeping of Redis being away.
//
// Redis is an accelerator here, never the source of truth (PostgreSQL is):
// every caller has a fallback for when a command fails. So a client that
// finds Redis down does not make each caller wait out a connect timeout: it
// refuses at once (kUnavailable) for `retry_after`, then lets one command
// through to see whether Redis is back. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "redis/redis_connection.hpp"

namespace st {

struct RedisOptions {
  RedisEndpoint endpoint;
  std::string key_prefix = "st:";  // before every key: one Redis may serve several deployments
  int pool_size = 8;
  RedisTimeouts timeouts;
  std::chrono::milliseconds retry_after{1000};  // how long a failure makes the client refuse at once
};

// A Lua script run by its SHA-1 (EVALSHA), loaded again when Redis forgot it
// (a restart, a failover to a replica that never saw it).
class RedisScript {
 public:
  explicit RedisScript(std::string source);
  [[nodiscard]] const std::string& source() const { return source_; }
  [[nodiscard]] const std::string& sha1() const { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;
};

class RedisClient {
 public:
  explicit RedisClient(RedisOptions options);
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;
  ~RedisClient();

  // One command on a pooled connection. kUnavailable when Redis cannot be
  // reached or did not answer in time; a Redis error reply is kInternal,
  // except those that mean "try again" during a failover (LOADING, READONLY,
  // MASTERDOWN, TRYAGAIN), which are kUnavailable too.
  Result<RedisReply> command(const std::vector<std::string>& args);
  Result<RedisReply> eval(const RedisScript& script, const std::vector<std::string>& keys,
                          const std::vector<std::string>& args);

  // `key_prefix` + suffix: every key this service writes.
  [[nodiscard]] std::string key(std::string_view suffix) const;
  // False while the client refuses at once after a failure.
  [[nodiscard]] bool available() const;
  // Called (outside any lock) each time Redis goes away and each time it is back.
  void on_availability_change(std::function<void(bool available)> listener);

  [[nodiscard]] std::int64_t failures() const { return failures_.load(); }
  [[nodiscard]] std::size_t open_connections() const;
  [[nodiscard]] const RedisOptions& options() const { return options_; }

 private:
  Result<std::unique_ptr<RedisConnection>> acquire();
  void give_back(std::unique_ptr<RedisConnection> connection);
  void mark(bool up);

  RedisOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;
  std::size_t open_ = 0;
  std::chrono::steady_clock::time_point refuse_until_{};
  bool up_ = true;
  std::function<void(bool)> listener_;
  std::atomic<std::int64_t> failures_{0};
};

}  // namespace st
