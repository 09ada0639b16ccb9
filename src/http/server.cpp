#include "http/server.hpp"

#include <array>
#include <atomic>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <nlohmann/json.hpp>

namespace st {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

HttpResponse problem(int status, std::string_view title, std::string_view detail) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/problem+json";
  response.body =
      nlohmann::json{{"type", "about:blank"}, {"title", title}, {"status", status}, {"detail", detail}}.dump();
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

}  // namespace

void Router::add(std::string method, const std::string& pattern, Handler handler) {
  routes_.push_back({std::move(method), split_path(pattern), std::move(handler)});
}

HttpResponse Router::dispatch(HttpRequest request) const {
  const auto segments = split_path(request.path);
  bool path_matched = false;
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      const auto& part = route.segments[i];
      if (part.size() > 2 && part.front() == '{' && part.back() == '}') {
        params[part.substr(1, part.size() - 2)] = segments[i];
      } else {
        match = part == segments[i];
      }
    }
    if (!match) continue;
    path_matched = true;
    if (route.method != request.method) continue;
    request.params = std::move(params);
    try {
      return route.handler(request);
    } catch (const std::exception& e) {
      spdlog::error("handler for {} {} threw: {}", request.method, request.path, e.what());
      return problem(500, "Internal Server Error", "the request could not be handled");
    }
  }
  if (path_matched)
    return problem(405, "Method Not Allowed", fmt::format("{} is not allowed on {}", request.method, request.path));
  return problem(404, "Not Found", fmt::format("no resource at {}", request.path));
}

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, const Router& router)
      : options_(std::move(options)), router_(router), acceptor_(io_) {}

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
    for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { io_.run(); });
    return {};
  }

  void stop() {
    asio::post(io_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
    io_.stop();
    threads_.clear();
  }

  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  class Session : public std::enable_shared_from_this<Session> {
   public:
    Session(Impl& server, tcp::socket socket) : server_(server), stream_(std::move(socket)) { ++server_.connections_; }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    ~Session() { --server_.connections_; }

    void run(bool over_capacity) {
      if (over_capacity) {
        write(problem(503, "Service Unavailable", "too many connections; retry shortly"), false);
        return;
      }
      read();
    }

   private:
    void read() {
      parser_.emplace();
      parser_->body_limit(server_.options_.max_body_bytes);
      stream_.expires_after(std::chrono::milliseconds(server_.options_.read_timeout_ms));
      bhttp::async_read(stream_, buffer_, *parser_,
                        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
      if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted) {
        close();
        return;
      }
      if (ec == bhttp::error::body_limit) {
        write(problem(413, "Content Too Large",
                      fmt::format("request bodies are limited to {} bytes", server_.options_.max_body_bytes)),
              false);
        return;
      }
      if (ec) {
        write(problem(400, "Bad Request", fmt::format("malformed HTTP request: {}", ec.message())), false);
        return;
      }
      auto& message = parser_->get();
      HttpRequest request;
      request.method = std::string(message.method_string());
      const std::string target(message.target());
      const auto question = target.find('?');
      request.path = target.substr(0, question);
      if (question != std::string::npos) request.query = target.substr(question + 1);
      for (const auto& field : message) {
        std::string name(field.name_string());
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        request.headers[name] = std::string(field.value());
      }
      request.body = std::move(message.body());
      write(server_.router_.dispatch(std::move(request)), message.keep_alive());
    }

    void write(const HttpResponse& response, bool keep_alive) {
      response_ = {};
      response_.result(static_cast<unsigned>(response.status));
      response_.version(11);
      response_.set(bhttp::field::server, "stream-transcoding");
      response_.set(bhttp::field::content_type, response.content_type);
      for (const auto& [name, value] : response.headers) response_.set(name, value);
      response_.body() = response.body;
      response_.keep_alive(keep_alive);
      response_.prepare_payload();
      stream_.expires_after(std::chrono::milliseconds(server_.options_.read_timeout_ms));
      bhttp::async_write(stream_, response_,
                         [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                           if (ec || !keep_alive) {
                             self->close();
                           } else {
                             self->read();
                           }
                         });
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
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    bhttp::response<bhttp::string_body> response_;
    std::array<char, 4096> discard_{};
  };

  void accept() {
    acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec != asio::error::operation_aborted) accept();
        return;
      }
      const bool over = connections_.load() >= options_.max_connections;
      std::make_shared<Session>(*this, std::move(socket))->run(over);
      accept();
    });
  }

  HttpServerOptions options_;
  const Router& router_;
  // Before io_: sessions still queued in io_ count themselves out when it is destroyed.
  std::atomic<int> connections_{0};
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
