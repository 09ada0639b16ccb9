// A bounded pool of PostgreSQL connections with RAII leases.
//
// libpqxx 6 has no pool, and a pqxx::connection must be used by one thread at a
// time: a Lease gives one thread a connection and returns it when destroyed. The
// pool never holds more than `max_size` connections, makes callers wait at most
// `acquire_timeout` for one, replaces connections that broke, and prepares the
// statements of `on_connect` once per connection. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <pqxx/connection>

#include "util/error.hpp"

namespace st {

class ConnectionPool {
 public:
  struct Options {
    std::string conninfo;  // libpq connection string or URI
    std::size_t max_size = 30;
    std::chrono::milliseconds acquire_timeout{5000};
    std::function<void(pqxx::connection&)> on_connect;  // e.g. prepare statements
    // Every statement on a pooled connection is cancelled after this (the
    // server's statement_timeout): no caller waits forever on a lock or a
    // stalled server. Zero: the server's default.
    std::chrono::milliseconds statement_timeout{0};
  };

  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    pqxx::connection& operator*() const { return *connection_; }
    pqxx::connection* operator->() const { return connection_.get(); }
    // The connection failed mid-use: it is closed instead of being reused.
    void discard() { broken_ = true; }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::unique_ptr<pqxx::connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    ConnectionPool* pool_;
    std::unique_ptr<pqxx::connection> connection_;
    bool broken_ = false;
  };

  explicit ConnectionPool(Options options);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;
  ~ConnectionPool();

  // kUnavailable when the database cannot be reached or no connection freed up in time.
  Result<Lease> acquire();

  [[nodiscard]] std::size_t open_connections() const;
  // Open and not leased: open_connections() - idle_connections() are in use.
  [[nodiscard]] std::size_t idle_connections() const;
  // The most connections ever open at once.
  [[nodiscard]] std::size_t peak_open_connections() const;
  [[nodiscard]] std::size_t max_size() const { return options_.max_size; }

 private:
  void give_back(std::unique_ptr<pqxx::connection> connection, bool broken);

  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::deque<std::unique_ptr<pqxx::connection>> idle_;
  std::size_t open_ = 0;
  std::size_t peak_ = 0;
};

}  // namespace st
