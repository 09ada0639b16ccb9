// One connection to Redis: hiredis formats commands and parses replies (its
// protocol code, redisFormatCommandArgv and redisReader), and this class owns
// the socket, so that every read and write has a deadline and the connection
// can speak TLS. Debian 12's hiredis (0.14) has no TLS and blocks without a
// bound on a server that stops answering; its reader has neither problem.
//
// Not thread-safe: one thread at a time (RedisClient leases connections).
// After any transport failure the connection is broken() and must be dropped.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace st {

// Where Redis is, from `redis://[user[:password]@]host[:port][/db]` or
// `rediss://...` (TLS), plus the TLS files of the configuration.
struct RedisEndpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string username;  // ACL user; empty: the default user
  std::string password;
  int database = 0;
  bool tls = false;
  std::string tls_ca_file;    // empty: the system's trust store
  std::string tls_cert_file;  // client certificate, when the server asks for one
  std::string tls_key_file;
  std::string tls_server_name;  // empty: host
  bool tls_verify = true;
};

// kUsage naming what is wrong with the URL. The password may also come from
// the configuration (redis.password), which wins over the URL's.
Result<RedisEndpoint> parse_redis_url(std::string_view url);

struct RedisReply {
  enum class Type { kString, kStatus, kInteger, kNil, kArray, kError };
  Type type = Type::kNil;
  std::string text;  // string, status, error
  long long integer = 0;
  std::vector<RedisReply> elements;

  [[nodiscard]] bool is_error() const { return type == Type::kError; }
  [[nodiscard]] bool is_nil() const { return type == Type::kNil; }
};

struct RedisTimeouts {
  std::chrono::milliseconds connect{1000};
  std::chrono::milliseconds command{1000};
};

class RedisConnection {
 public:
  // Connects, shakes hands (TLS), authenticates and selects the database.
  // kUnavailable when Redis cannot be reached; kUsage when it refuses our credentials.
  static Result<std::unique_ptr<RedisConnection>> open(const RedisEndpoint& endpoint, const RedisTimeouts& timeouts);

  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;
  ~RedisConnection();

  // Sends one command and reads its reply. A Redis error reply is a reply
  // (type kError); only transport failures (timeout, reset, a reply that does
  // not parse or is too large) are errors, and leave the connection broken.
  Result<RedisReply> command(const std::vector<std::string>& args);

  [[nodiscard]] bool broken() const { return broken_; }

 private:
  struct Transport;
  explicit RedisConnection(std::unique_ptr<Transport> transport, RedisTimeouts timeouts);
  Result<void> send(std::string_view bytes, std::chrono::steady_clock::time_point deadline);
  Result<RedisReply> receive(std::chrono::steady_clock::time_point deadline);

  std::unique_ptr<Transport> transport_;
  RedisTimeouts timeouts_;
  bool broken_ = false;
};

}  // namespace st
