#include "db/pool.hpp"

#include <fmt/format.h>

#include <pqxx/except>
#include <pqxx/nontransaction>

namespace st {

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), connection_(std::move(other.connection_)), broken_(other.broken_) {}

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr && connection_) pool_->give_back(std::move(connection_), broken_);
}

ConnectionPool::ConnectionPool(Options options) : options_(std::move(options)) {}

ConnectionPool::~ConnectionPool() {
  std::lock_guard lock(mutex_);
  idle_.clear();
}

Result<ConnectionPool::Lease> ConnectionPool::acquire() {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  while (idle_.empty() && open_ >= options_.max_size) {
    if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.max_size) {
      return fail(ErrorCode::kUnavailable, fmt::format("no database connection became free within {} ms (pool of {})",
                                                       options_.acquire_timeout.count(), options_.max_size));
    }
  }
  if (!idle_.empty()) {
    auto connection = std::move(idle_.front());
    idle_.pop_front();
    if (connection->is_open()) return Lease(this, std::move(connection));
    --open_;  // closed while idle (server restart): replace it below
  }

  // Connect outside the lock: it can take a while, and others may return connections meanwhile.
  ++open_;
  peak_ = std::max(peak_, open_);
  lock.unlock();
  try {
    auto connection = std::make_unique<pqxx::connection>(options_.conninfo);
    if (options_.statement_timeout.count() > 0) {
      pqxx::nontransaction(*connection)
          .exec(fmt::format("SET statement_timeout = {}", options_.statement_timeout.count()));
    }
    if (options_.on_connect) options_.on_connect(*connection);
    return Lease(this, std::move(connection));
  } catch (const std::exception& e) {
    {
      std::lock_guard relock(mutex_);
      --open_;
    }
    returned_.notify_one();
    std::string why = e.what();
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return fail(ErrorCode::kUnavailable, fmt::format("cannot connect to the database: {}", why));
  }
}

void ConnectionPool::give_back(std::unique_ptr<pqxx::connection> connection, bool broken) {
  {
    std::lock_guard lock(mutex_);
    if (broken || !connection->is_open()) {
      --open_;
      connection.reset();
    } else {
      idle_.push_back(std::move(connection));
    }
  }
  returned_.notify_one();
}

std::size_t ConnectionPool::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

std::size_t ConnectionPool::idle_connections() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

std::size_t ConnectionPool::peak_open_connections() const {
  std::lock_guard lock(mutex_);
  return peak_;
}

}  // namespace st
