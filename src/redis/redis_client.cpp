#include "redis/redis_client.hpp"

#include <openssl/sha.h>

#include <array>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace st {
namespace {

using Clock = std::chrono::steady_clock;

std::string sha1_hex(const std::string& text) {
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  std::string hex;
  for (const auto byte : digest) hex += fmt::format("{:02x}", byte);
  return hex;
}

// Error replies that a failover or a restart produces: the same command
// succeeds a moment later, on the new primary or once the data is loaded.
bool is_transient_reply(const std::string& text) {
  for (const char* prefix : {"LOADING", "READONLY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "BUSY"}) {
    if (text.starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace

RedisScript::RedisScript(std::string source) : source_(std::move(source)), sha1_(sha1_hex(source_)) {}

RedisClient::RedisClient(RedisOptions options) : options_(std::move(options)) {}

RedisClient::~RedisClient() = default;

std::string RedisClient::key(std::string_view suffix) const {
  return options_.key_prefix + std::string(suffix);
}

bool RedisClient::available() const {
  std::lock_guard lock(mutex_);
  return Clock::now() >= refuse_until_;
}

void RedisClient::on_availability_change(std::function<void(bool)> listener) {
  std::lock_guard lock(mutex_);
  listener_ = std::move(listener);
}

std::size_t RedisClient::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

void RedisClient::mark(bool up) {
  std::function<void(bool)> listener;
  {
    std::lock_guard lock(mutex_);
    if (!up) refuse_until_ = Clock::now() + options_.retry_after;
    if (up == up_) return;
    up_ = up;
    listener = listener_;
  }
  if (up) {
    spdlog::info("Redis at {}:{} is reachable again", options_.endpoint.host, options_.endpoint.port);
  } else {
    spdlog::warn("Redis at {}:{} is unavailable: falling back to PostgreSQL and local state until it is back",
                 options_.endpoint.host, options_.endpoint.port);
  }
  if (listener) listener(up);
}

Result<std::unique_ptr<RedisConnection>> RedisClient::acquire() {
  std::unique_lock lock(mutex_);
  if (Clock::now() < refuse_until_) {
    return fail(ErrorCode::kUnavailable, "Redis is unavailable (a recent command failed; retrying shortly)");
  }
  const auto deadline = Clock::now() + options_.timeouts.command;
  for (;;) {
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
    if (open_ < static_cast<std::size_t>(options_.pool_size)) {
      ++open_;
      lock.unlock();
      auto opened = RedisConnection::open(options_.endpoint, options_.timeouts);
      if (!opened) {
        lock.lock();
        --open_;
        lock.unlock();
        returned_.notify_one();
        failures_.fetch_add(1);
        mark(false);
      }
      return opened;
    }
    if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty()) {
      return fail(ErrorCode::kUnavailable, fmt::format("all {} Redis connections stayed busy for {} ms",
                                                       options_.pool_size, options_.timeouts.command.count()));
    }
  }
}

void RedisClient::give_back(std::unique_ptr<RedisConnection> connection) {
  {
    std::lock_guard lock(mutex_);
    if (connection->broken()) {
      --open_;
    } else {
      idle_.push_back(std::move(connection));
    }
  }
  returned_.notify_one();
}

Result<RedisReply> RedisClient::command(const std::vector<std::string>& args) {
  auto connection = acquire();
  if (!connection) return tl::unexpected(connection.error());
  auto reply = (*connection)->command(args);
  give_back(std::move(*connection));
  if (!reply) {
    failures_.fetch_add(1);
    mark(false);
    return tl::unexpected(reply.error());
  }
  mark(true);
  if (reply->is_error()) {
    return fail(is_transient_reply(reply->text) ? ErrorCode::kUnavailable : ErrorCode::kInternal,
                fmt::format("Redis answered {} with an error: {}", args.empty() ? "" : args.front(), reply->text));
  }
  return reply;
}

Result<RedisReply> RedisClient::eval(const RedisScript& script, const std::vector<std::string>& keys,
                                     const std::vector<std::string>& args) {
  std::vector<std::string> argv{"EVALSHA", script.sha1(), std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  auto reply = command(argv);
  if (!reply && reply.error().message.find("NOSCRIPT") != std::string::npos) {
    argv[0] = "EVAL";
    argv[1] = script.source();
    reply = command(argv);
  }
  return reply;
}

}  // namespace st
