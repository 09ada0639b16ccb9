#include "http/server.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <nlohmann/json.hpp>

#include "observability/metrics.hpp"
#include "observability/tracing.hpp"
#include "util/trace_context.hpp"
#include "util/utf8.hpp"

namespace st {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

HttpResponse problem(int status, std::string_view title, std::string_view detail) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/problem+json";
  // The detail often quotes the request (its path, a field): whatever bytes it
  // held, the body is valid UTF-8 JSON.
  response.body = nlohmann::json{{"type", "about:blank"},
                                 {"title", to_valid_utf8(title)},
                                 {"status", status},
                                 {"detail", to_valid_utf8(detail)}}
                      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

HttpResponse json_response(int status, const std::string& body) {
  HttpResponse response;
  response.status = status;
  response.body = body;
  return response;
}

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string_view::npos ? path.size() : slash;
    if (end > start) out.emplace_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

// Probes and scrapes come every few seconds from machines: counted, not traced.
bool is_probe(std::string_view pattern) {
  return pattern == "/health/live" || pattern == "/health/ready" || pattern == "/metrics";
}

}  // namespace

void Router::add(std::string method, const std::string& pattern, Access access, Handler handler, Blocking blocking) {
  const std::unique_lock lock(mutex_);
  routes_.push_back({std::move(method), pattern, split_path(pattern), std::move(handler), blocking, access});
}

void Router::use(std::shared_ptr<Middleware> middleware) {
  const std::unique_lock lock(mutex_);
  middleware_.push_back(std::move(middleware));
}

const Router::Route* Router::match(std::string_view method, const std::vector<std::string>& segments,
                                   std::map<std::string, std::string>* params, bool* path_matched) const {
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> found;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      const auto& part = route.segments[i];
      if (part.size() > 2 && part.front() == '{' && part.back() == '}') {
        found[part.substr(1, part.size() - 2)] = segments[i];
      } else {
        match = part == segments[i];
      }
    }
    if (!match) continue;
    *path_matched = true;
    if (route.method != method) continue;
    if (params != nullptr) *params = std::move(found);
    return &route;
  }
  return nullptr;
}

bool Router::is_non_blocking(std::string_view method, std::string_view path) const {
  const std::shared_lock lock(mutex_);
  bool path_matched = false;
  const auto* route = match(method, split_path(path), nullptr, &path_matched);
  return route == nullptr || route->blocking == Blocking::kNo;
}

HttpResponse Router::run(HttpRequest& request, const Route* route, bool path_matched) const {
  request.context.access = route != nullptr ? route->access : Access::kPublic;
  std::size_t ran = 0;
  std::optional<HttpResponse> response;
  for (; ran < middleware_.size() && !response; ++ran) response = middleware_[ran]->before(request);
  if (!response) {
    if (route != nullptr) {
      response = route->handler(request);
    } else if (path_matched) {
      response =
          problem(405, "Method Not Allowed", fmt::format("{} is not allowed on {}", request.method, request.path));
    } else {
      response = problem(404, "Not Found", fmt::format("no resource at {}", request.path));
    }
  }
  while (ran > 0) middleware_[--ran]->after(request, *response);
  return std::move(*response);
}

HttpResponse Router::dispatch(HttpRequest request) const {
  const std::shared_lock lock(mutex_);
  const auto received = std::chrono::steady_clock::now();
  bool path_matched = false;
  const Route* route = nullptr;
  std::optional<Span> span;
  HttpResponse response;
  try {
    route = match(request.method, split_path(request.path), &request.params, &path_matched);
    // OpenTelemetry's HTTP server conventions: named by method and route
    // pattern (never the path: it holds ids), a child of the caller's traceparent.
    const auto header = request.headers.find("traceparent");
    if (route == nullptr || !is_probe(route->pattern)) {
      span.emplace(route != nullptr ? fmt::format("{} {}", route->method, route->pattern) : std::string("HTTP"),
                   SpanKind::kServer,
                   header != request.headers.end() ? parse_traceparent(header->second) : std::nullopt);
      span->set("http.request.method", to_valid_utf8(request.method));
      if (route != nullptr) span->set("http.route", route->pattern);
      span->set("url.path", request.path);
      span->set("client.address", request.remote_address);
    }
    response = run(request, route, path_matched);
  } catch (const std::exception& e) {
    spdlog::error("handler for {} {} threw: {}", to_valid_utf8(request.method), to_valid_utf8(request.path), e.what());
    response = problem(500, "Internal Server Error", "the request could not be handled");
  }
  if (span) {
    span->set("http.response.status_code", static_cast<std::int64_t>(response.status));
    if (response.status >= 500) span->set_error(fmt::format("status {}", response.status));
  }
  if (metrics_ != nullptr) {
    metrics_->http_request(route != nullptr ? route->pattern : "unmatched", request.method, response.status,
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - received).count());
  }
  return response;
}

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, const Router& router)
      : options_(std::move(options)),
        router_(router),
        handlers_(static_cast<std::size_t>(std::max(1, options_.handler_threads))),
        acceptor_(io_) {}

  Result<void> start() {
    beast::error_code ec;
    const auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return fail(ErrorCode::kUsage, fmt::format("http.host '{}' is not an IP address", options_.host));
    const tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return fail(ErrorCode::kUnavailable,
                  fmt::format("cannot listen on {}:{}: {}", options_.host, options_.port, ec.message()));
    }
    accept();
    for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { run_io(); });
    return {};
  }

  void stop() {
    asio::post(io_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
    io_.stop();
    threads_.clear();
    handlers_.stop();
    handlers_.join();
  }

  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  // No exception may end an io thread (and with it the process): log it and
  // go on serving. Handlers' exceptions never get here (Router::dispatch).
  void run_io() {
    for (;;) {
      try {
        io_.run();
        return;  // stopped
      } catch (const std::exception& e) {
        spdlog::error("http: an io thread caught an exception and goes on: {}", e.what());
      } catch (...) {
        spdlog::error("http: an io thread caught an unknown exception and goes on");
      }
    }
  }

  class Session : public std::enable_shared_from_this<Session> {
   public:
    Session(Impl& server, tcp::socket socket, std::string client)
        : server_(server), stream_(std::move(socket)), client_(std::move(client)) {}
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    ~Session() { server_.release(client_); }

    void run(bool over_capacity) {
      if (over_capacity) {
        auto response = problem(503, "Service Unavailable", "too many connections; retry shortly");
        response.headers["Retry-After"] = "1";
        write(response, false);
        return;
      }
      read();
    }

   private:
    void read() {
      parser_.emplace();
      parser_->header_limit(static_cast<std::uint32_t>(server_.options_.max_header_bytes));
      parser_->body_limit(server_.options_.max_body_bytes);
      // One deadline for the whole message: a client that trickles bytes
      // (slowloris) gets no more time than one that sends nothing.
      stream_.expires_after(std::chrono::milliseconds(server_.options_.request_timeout_ms));
      bhttp::async_read(stream_, buffer_, *parser_,
                        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
      if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
          ec == asio::error::connection_reset || ec == asio::error::eof) {
        close();
        return;
      }
      if (ec == bhttp::error::body_limit) {
        write(problem(413, "Content Too Large",
                      fmt::format("request bodies are limited to {} bytes", server_.options_.max_body_bytes)),
              false);
        return;
      }
      if (ec == bhttp::error::header_limit) {
        write(problem(431, "Request Header Fields Too Large",
                      fmt::format("request headers are limited to {} bytes", server_.options_.max_header_bytes)),
              false);
        return;
      }
      if (ec) {
        write(problem(400, "Bad Request", fmt::format("malformed HTTP request: {}", ec.message())), false);
        return;
      }
      auto& message = parser_->get();
      const auto field_count = static_cast<std::size_t>(std::distance(message.begin(), message.end()));
      if (field_count > server_.options_.max_header_count) {
        write(problem(431, "Request Header Fields Too Large",
                      fmt::format("requests are limited to {} header fields", server_.options_.max_header_count)),
              false);
        return;
      }
      HttpRequest request;
      request.method = std::string(message.method_string());
      const std::string_view target(message.target());
      const auto question = target.find('?');
      request.path = std::string(target.substr(0, question));
      if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
      for (const auto& field : message) {
        std::string name(field.name_string());
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        request.headers[name] = std::string(field.value());
      }
      request.body = std::move(message.body());
      request.remote_address = client_;
      const bool keep_alive = message.keep_alive();
      if (server_.router_.is_non_blocking(request.method, request.path)) {
        write(server_.router_.dispatch(std::move(request)), keep_alive);
        return;
      }
      // Off the io threads; the response comes back on this session's strand.
      asio::post(server_.handlers_, [self = shared_from_this(), request = std::move(request), keep_alive]() mutable {
        auto response = self->server_.router_.dispatch(std::move(request));
        asio::post(self->stream_.get_executor(),
                   [self, response = std::move(response), keep_alive] { self->write(response, keep_alive); });
      });
    }

    void write(const HttpResponse& response, bool keep_alive) {
      if (response.stream) {
        start_stream(response);
        return;
      }
      response_ = {};
      response_.result(static_cast<unsigned>(response.status));
      response_.version(11);
      response_.set(bhttp::field::server, "stream-transcoding");
      response_.set(bhttp::field::content_type, response.content_type);
      for (const auto& [name, value] : response.headers) response_.set(name, value);
      response_.body() = response.body;
      response_.keep_alive(keep_alive);
      response_.prepare_payload();
      stream_.expires_after(std::chrono::milliseconds(server_.options_.request_timeout_ms));
      bhttp::async_write(stream_, response_,
                         [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                           if (ec || !keep_alive) {
                             self->close();
                           } else {
                             self->read();
                           }
                         });
    }

    // A streamed response: headers, then one chunk per event the stream
    // gives, polled on the handler pool; the connection closes at its end.
    void start_stream(const HttpResponse& response) {
      stream_body_ = response.stream;
      stream_header_ = {};
      stream_header_.result(static_cast<unsigned>(response.status));
      stream_header_.version(11);
      stream_header_.set(bhttp::field::server, "stream-transcoding");
      stream_header_.set(bhttp::field::content_type, response.content_type);
      stream_header_.set(bhttp::field::cache_control, "no-cache");
      for (const auto& [name, value] : response.headers) stream_header_.set(name, value);
      stream_header_.keep_alive(false);
      stream_header_.chunked(true);
      serializer_.emplace(stream_header_);
      stream_.expires_after(std::chrono::milliseconds(server_.options_.request_timeout_ms));
      bhttp::async_write_header(stream_, *serializer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) {
          self->end_stream();
        } else {
          self->poll_stream(false);
        }
      });
    }

    void poll_stream(bool wait) {
      const auto interval = wait ? stream_body_->interval() : std::chrono::milliseconds(0);
      timer_.expires_after(interval);
      timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (ec) {
          self->end_stream();
          return;
        }
        asio::post(self->server_.handlers_, [self] {
          std::optional<std::string> chunk;
          try {
            chunk = self->stream_body_->next();
          } catch (const std::exception& e) {
            spdlog::error("http: an event stream threw: {}", e.what());
          }
          asio::post(self->stream_.get_executor(),
                     [self, chunk = std::move(chunk)]() mutable { self->write_chunk(std::move(chunk)); });
        });
      });
    }

    void write_chunk(std::optional<std::string> chunk) {
      if (chunk && chunk->empty()) {
        poll_stream(true);
        return;
      }
      chunk_ = chunk ? std::move(*chunk) : std::string();
      const bool last = !chunk;
      stream_.expires_after(std::chrono::milliseconds(server_.options_.request_timeout_ms));
      auto done = [self = shared_from_this(), last](beast::error_code ec, std::size_t) {
        if (ec || last) {
          self->end_stream();
        } else {
          self->poll_stream(true);
        }
      };
      if (last) {
        asio::async_write(stream_, bhttp::make_chunk_last(), std::move(done));
      } else {
        asio::async_write(stream_, bhttp::make_chunk(asio::buffer(chunk_)), std::move(done));
      }
    }

    void end_stream() {
      stream_body_.reset();
      close();
    }

    // A lingering close: stop sending, then read and discard what the client is
    // still sending (the rest of an oversized body) for a moment, so the kernel
    // does not reset the connection before the client has read our response.
    void close() {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      stream_.expires_after(std::chrono::seconds(1));
      drain();
    }

    void drain() {
      stream_.async_read_some(asio::buffer(discard_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (!ec) self->drain();
      });
    }

    Impl& server_;
    beast::tcp_stream stream_;
    std::string client_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    bhttp::response<bhttp::string_body> response_;
    std::array<char, 4096> discard_{};
    // A streamed response's state.
    std::shared_ptr<ResponseStream> stream_body_;
    bhttp::response<bhttp::empty_body> stream_header_;
    std::optional<bhttp::response_serializer<bhttp::empty_body>> serializer_;
    asio::steady_timer timer_{stream_.get_executor()};
    std::string chunk_;
  };

  // Counts the connection in; false when it is over the global or the per-client cap.
  bool admit(const std::string& client) {
    std::lock_guard lock(mutex_);
    ++connections_;
    const int from_client = ++per_client_[client];
    return connections_ <= options_.max_connections && from_client <= options_.max_connections_per_client;
  }

  void release(const std::string& client) {
    std::lock_guard lock(mutex_);
    --connections_;
    if (const auto it = per_client_.find(client); it != per_client_.end() && --it->second <= 0) per_client_.erase(it);
  }

  void accept() {
    acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec != asio::error::operation_aborted) accept();
        return;
      }
      beast::error_code peer_error;
      const auto peer = socket.remote_endpoint(peer_error);
      auto client = peer_error ? std::string("unknown") : peer.address().to_string();
      const bool admitted = admit(client);
      std::make_shared<Session>(*this, std::move(socket), std::move(client))->run(!admitted);
      accept();
    });
  }

  HttpServerOptions options_;
  const Router& router_;
  // Before io_: sessions still queued in io_ count themselves out when it is destroyed.
  std::mutex mutex_;
  int connections_ = 0;
  std::map<std::string, int> per_client_;
  asio::thread_pool handlers_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::vector<std::jthread> threads_;
};

HttpServer::HttpServer(HttpServerOptions options, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}

HttpServer::~HttpServer() {
  impl_->stop();
}

Result<void> HttpServer::start() {
  return impl_->start();
}
void HttpServer::stop() {
  impl_->stop();
}
std::uint16_t HttpServer::port() const {
  return impl_->port();
}

}  // namespace st
