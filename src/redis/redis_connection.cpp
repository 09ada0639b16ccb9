#include "redis/redis_connection.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "util/files.hpp"

namespace st {
namespace {

using Clock = std::chrono::steady_clock;

// A reply larger than this is not one of ours (our values are small JSON
// documents and counters): the connection is dropped rather than grow.
constexpr std::size_t kMaxReplyBytes = std::size_t{16} << 20;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::max<long long>(0, left));
}

// Waits until `fd` is ready for `events`; false on timeout.
Result<bool> wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{.fd = fd, .events = events, .revents = 0};
    const int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return fail(ErrorCode::kUnavailable, fmt::format("poll: {}", std::strerror(errno)));
  }
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int value = 0;
      const auto* begin = text.data() + i + 1;
      if (std::from_chars(begin, begin + 2, value, 16).ptr == begin + 2) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::string openssl_error() {
  const auto code = ERR_get_error();
  if (code == 0) return "unknown TLS error";
  std::array<char, 256> text{};
  ERR_error_string_n(code, text.data(), text.size());
  ERR_clear_error();
  return text.data();
}

RedisReply from_hiredis(const redisReply* reply) {
  RedisReply out;
  switch (reply->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = reply->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(reply->elements);
      for (std::size_t i = 0; i < reply->elements; ++i) out.elements.push_back(from_hiredis(reply->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

struct ReaderDeleter {
  void operator()(redisReader* reader) const { redisReaderFree(reader); }
};
struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};

}  // namespace

Result<RedisEndpoint> parse_redis_url(std::string_view url) {
  RedisEndpoint endpoint;
  std::string_view rest;
  if (url.starts_with("redis://")) {
    rest = url.substr(8);
  } else if (url.starts_with("rediss://")) {
    endpoint.tls = true;
    rest = url.substr(9);
  } else {
    return fail(ErrorCode::kUsage, "must start with redis:// or rediss:// (TLS)");
  }
  if (rest.size() > 2048) return fail(ErrorCode::kUsage, "is longer than 2048 characters");
  for (const char c : rest) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return fail(ErrorCode::kUsage, "contains a space, a control character or a non-ASCII byte");
    }
  }
  if (const auto query = rest.find_first_of("?#"); query != std::string_view::npos) {
    return fail(ErrorCode::kUsage, "takes no query (TLS files are redis.tls_* keys)");
  }
  const auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    const auto path = rest.substr(slash + 1);
    if (!path.empty()) {
      int db = -1;
      if (std::from_chars(path.data(), path.data() + path.size(), db).ptr != path.data() + path.size() || db < 0 ||
          db > 15) {
        return fail(ErrorCode::kUsage, fmt::format("database '{}' is not a number from 0 to 15", path));
      }
      endpoint.database = db;
    }
  }
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const auto userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    const auto colon = userinfo.find(':');
    endpoint.username = percent_decode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) endpoint.password = percent_decode(userinfo.substr(colon + 1));
  }
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return fail(ErrorCode::kUsage, "has an IPv6 address without its ']'");
    endpoint.host = std::string(authority.substr(1, close - 1));
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail(ErrorCode::kUsage, "has text after its IPv6 address");
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (endpoint.host.empty()) return fail(ErrorCode::kUsage, "has no host");
  if (!port_text.empty()) {
    int port = 0;
    if (std::from_chars(port_text.data(), port_text.data() + port_text.size(), port).ptr !=
            port_text.data() + port_text.size() ||
        port < 1 || port > 65535) {
      return fail(ErrorCode::kUsage, fmt::format("port '{}' is not a number from 1 to 65535", port_text));
    }
    endpoint.port = static_cast<std::uint16_t>(port);
  }
  return endpoint;
}

// The socket, and the TLS session over it when there is one. TLS runs on
// memory BIOs: OpenSSL never touches the socket, so every byte moves through
// send/recv here, under the command's deadline and with MSG_NOSIGNAL (a
// server that hangs up raises no SIGPIPE in the service).
struct RedisConnection::Transport {
  UniqueFd fd;
  std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx;
  std::unique_ptr<SSL, SslDeleter> ssl;
  BIO* in = nullptr;   // owned by ssl
  BIO* out = nullptr;  // owned by ssl
  std::unique_ptr<redisReader, ReaderDeleter> reader{redisReaderCreate()};

  Result<void> send_raw(const char* data, std::size_t size, Clock::time_point deadline) const {
    while (size > 0) {
      const auto n = ::send(fd.get(), data, size, MSG_NOSIGNAL);
      if (n > 0) {
        data += n;
        size -= static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        auto ready = wait_for(fd.get(), POLLOUT, deadline);
        if (!ready) return tl::unexpected(ready.error());
        if (!*ready) return fail(ErrorCode::kUnavailable, "timed out writing to Redis");
        continue;
      }
      return fail(ErrorCode::kUnavailable, fmt::format("writing to Redis: {}", std::strerror(errno)));
    }
    return {};
  }

  // Some bytes from the socket (at least one), or why not.
  Result<std::size_t> recv_raw(char* buffer, std::size_t size, Clock::time_point deadline) const {
    for (;;) {
      const auto n = ::recv(fd.get(), buffer, size, 0);
      if (n > 0) return static_cast<std::size_t>(n);
      if (n == 0) return fail(ErrorCode::kUnavailable, "Redis closed the connection");
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        return fail(ErrorCode::kUnavailable, fmt::format("reading from Redis: {}", std::strerror(errno)));
      }
      auto ready = wait_for(fd.get(), POLLIN, deadline);
      if (!ready) return tl::unexpected(ready.error());
      if (!*ready) return fail(ErrorCode::kUnavailable, "timed out waiting for Redis");
    }
  }

  // Sends what TLS has queued for the peer.
  Result<void> flush_tls(Clock::time_point deadline) const {
    std::array<char, 16384> chunk{};
    while (BIO_ctrl_pending(out) > 0) {
      const int n = BIO_read(out, chunk.data(), static_cast<int>(chunk.size()));
      if (n <= 0) break;
      if (auto sent = send_raw(chunk.data(), static_cast<std::size_t>(n), deadline); !sent) return sent;
    }
    return {};
  }

  // Moves bytes from the socket into TLS.
  Result<void> fill_tls(Clock::time_point deadline) const {
    std::array<char, 16384> chunk{};
    auto got = recv_raw(chunk.data(), chunk.size(), deadline);
    if (!got) return tl::unexpected(got.error());
    BIO_write(in, chunk.data(), static_cast<int>(*got));
    return {};
  }

  // Drives a TLS call that may want more bytes from the peer.
  template <typename Call>
  Result<int> drive(Call call, Clock::time_point deadline, const char* what) const {
    for (;;) {
      const int r = call();
      if (auto flushed = flush_tls(deadline); !flushed) return tl::unexpected(flushed.error());
      if (r > 0) return r;
      const int error = SSL_get_error(ssl.get(), r);
      if (error == SSL_ERROR_WANT_READ) {
        if (auto filled = fill_tls(deadline); !filled) return tl::unexpected(filled.error());
      } else if (error != SSL_ERROR_WANT_WRITE) {
        if (error == SSL_ERROR_ZERO_RETURN) return fail(ErrorCode::kUnavailable, "Redis closed the TLS session");
        return fail(ErrorCode::kUnavailable, fmt::format("TLS {} with Redis failed: {}", what, openssl_error()));
      }
    }
  }

  Result<void> write(std::string_view bytes, Clock::time_point deadline) const {
    if (!ssl) return send_raw(bytes.data(), bytes.size(), deadline);
    auto written =
        drive([&] { return SSL_write(ssl.get(), bytes.data(), static_cast<int>(bytes.size())); }, deadline, "write");
    if (!written) return tl::unexpected(written.error());
    return {};
  }

  Result<std::size_t> read(char* buffer, std::size_t size, Clock::time_point deadline) const {
    if (!ssl) return recv_raw(buffer, size, deadline);
    auto n = drive([&] { return SSL_read(ssl.get(), buffer, static_cast<int>(size)); }, deadline, "read");
    if (!n) return tl::unexpected(n.error());
    return static_cast<std::size_t>(*n);
  }
};

namespace {

Result<UniqueFd> connect_tcp(const RedisEndpoint& endpoint, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const auto port = std::to_string(endpoint.port);
  if (const int rc = ::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return fail(ErrorCode::kUnavailable,
                fmt::format("cannot resolve Redis host {}: {}", endpoint.host, ::gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
  std::string last_error = "no address";
  for (const auto* a = found; a != nullptr; a = a->ai_next) {
    UniqueFd fd(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
    if (!fd.valid()) {
      last_error = std::strerror(errno);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ::setsockopt(fd.get(), SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) == 0) return fd;
    if (errno != EINPROGRESS) {
      last_error = std::strerror(errno);
      continue;
    }
    auto ready = wait_for(fd.get(), POLLOUT, deadline);
    if (!ready) return tl::unexpected(ready.error());
    if (!*ready) {
      last_error = "timed out";
      continue;
    }
    int error = 0;
    socklen_t length = sizeof(error);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error == 0) return fd;
    last_error = std::strerror(error);
  }
  return fail(ErrorCode::kUnavailable,
              fmt::format("cannot connect to Redis at {}:{}: {}", endpoint.host, endpoint.port, last_error));
}

Result<std::unique_ptr<SSL_CTX, SslCtxDeleter>> tls_context(const RedisEndpoint& endpoint) {
  std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return fail(ErrorCode::kInternal, "cannot create a TLS context: " + openssl_error());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (endpoint.tls_verify) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    const bool loaded = endpoint.tls_ca_file.empty()
                            ? SSL_CTX_set_default_verify_paths(ctx.get()) == 1
                            : SSL_CTX_load_verify_locations(ctx.get(), endpoint.tls_ca_file.c_str(), nullptr) == 1;
    if (!loaded) {
      return fail(ErrorCode::kUsage,
                  fmt::format("redis.tls_ca_file {} cannot be loaded: {}", endpoint.tls_ca_file, openssl_error()));
    }
  }
  if (!endpoint.tls_cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), endpoint.tls_cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx.get(), endpoint.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return fail(ErrorCode::kUsage, fmt::format("redis.tls_cert_file {} or redis.tls_key_file {} cannot be loaded: {}",
                                                 endpoint.tls_cert_file, endpoint.tls_key_file, openssl_error()));
    }
  }
  return ctx;
}

}  // namespace

RedisConnection::RedisConnection(std::unique_ptr<Transport> transport, RedisTimeouts timeouts)
    : transport_(std::move(transport)), timeouts_(timeouts) {}

RedisConnection::~RedisConnection() = default;

Result<std::unique_ptr<RedisConnection>> RedisConnection::open(const RedisEndpoint& endpoint,
                                                               const RedisTimeouts& timeouts) {
  const auto deadline = Clock::now() + timeouts.connect;
  auto transport = std::make_unique<Transport>();
  if (!transport->reader) return fail(ErrorCode::kInternal, "cannot create a Redis reply reader");
  auto fd = connect_tcp(endpoint, deadline);
  if (!fd) return tl::unexpected(fd.error());
  transport->fd = std::move(*fd);
  if (endpoint.tls) {
    auto ctx = tls_context(endpoint);
    if (!ctx) return tl::unexpected(ctx.error());
    transport->ctx = std::move(*ctx);
    transport->ssl.reset(SSL_new(transport->ctx.get()));
    if (!transport->ssl) return fail(ErrorCode::kInternal, "cannot create a TLS session: " + openssl_error());
    transport->in = BIO_new(BIO_s_mem());
    transport->out = BIO_new(BIO_s_mem());
    SSL_set_bio(transport->ssl.get(), transport->in, transport->out);
    const auto& name = endpoint.tls_server_name.empty() ? endpoint.host : endpoint.tls_server_name;
    SSL_set_tlsext_host_name(transport->ssl.get(), name.c_str());
    if (endpoint.tls_verify) SSL_set1_host(transport->ssl.get(), name.c_str());
    auto* ssl = transport->ssl.get();
    auto shaken = transport->drive([ssl] { return SSL_connect(ssl); }, deadline, "handshake");
    if (!shaken) return tl::unexpected(shaken.error());
  }
  std::unique_ptr<RedisConnection> connection(new RedisConnection(std::move(transport), timeouts));
  const auto check = [&](const std::vector<std::string>& args, const char* what) -> Result<void> {
    auto reply = connection->command(args);
    if (!reply) return tl::unexpected(reply.error());
    if (reply->is_error()) {
      return fail(ErrorCode::kUsage, fmt::format("Redis refused {}: {}", what, reply->text));
    }
    return {};
  };
  if (!endpoint.password.empty()) {
    auto args = endpoint.username.empty() ? std::vector<std::string>{"AUTH", endpoint.password}
                                          : std::vector<std::string>{"AUTH", endpoint.username, endpoint.password};
    if (auto authed = check(args, "our credentials (AUTH)"); !authed) return tl::unexpected(authed.error());
  }
  if (endpoint.database != 0) {
    if (auto selected = check({"SELECT", std::to_string(endpoint.database)}, "SELECT"); !selected) {
      return tl::unexpected(selected.error());
    }
  }
  return connection;
}

Result<void> RedisConnection::send(std::string_view bytes, Clock::time_point deadline) {
  return transport_->write(bytes, deadline);
}

Result<RedisReply> RedisConnection::receive(Clock::time_point deadline) {
  std::array<char, 16384> chunk{};
  std::size_t fed = 0;
  for (;;) {
    void* raw = nullptr;
    if (redisReaderGetReply(transport_->reader.get(), &raw) != REDIS_OK) {
      return fail(ErrorCode::kUnavailable,
                  fmt::format("Redis sent a reply that does not parse: {}", transport_->reader->errstr));
    }
    if (raw != nullptr) {
      std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply(static_cast<redisReply*>(raw), &freeReplyObject);
      return from_hiredis(reply.get());
    }
    auto got = transport_->read(chunk.data(), chunk.size(), deadline);
    if (!got) return tl::unexpected(got.error());
    fed += *got;
    if (fed > kMaxReplyBytes) {
      return fail(ErrorCode::kUnavailable, fmt::format("a Redis reply exceeded {} bytes", kMaxReplyBytes));
    }
    if (redisReaderFeed(transport_->reader.get(), chunk.data(), *got) != REDIS_OK) {
      return fail(ErrorCode::kUnavailable, "Redis sent a reply that does not parse");
    }
  }
}

Result<RedisReply> RedisConnection::command(const std::vector<std::string>& args) {
  if (broken_) return fail(ErrorCode::kUnavailable, "the Redis connection is broken");
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  char* formatted = nullptr;
  const int length = redisFormatCommandArgv(&formatted, static_cast<int>(args.size()), argv.data(), lengths.data());
  if (length < 0) return fail(ErrorCode::kInternal, "cannot format a Redis command");
  std::unique_ptr<char, decltype(&redisFreeCommand)> owned(formatted, &redisFreeCommand);
  const auto deadline = Clock::now() + timeouts_.command;
  auto sent = send(std::string_view(formatted, static_cast<std::size_t>(length)), deadline);
  if (!sent) {
    broken_ = true;
    return tl::unexpected(sent.error());
  }
  auto reply = receive(deadline);
  if (!reply) broken_ = true;
  return reply;
}

}  // namespace st
