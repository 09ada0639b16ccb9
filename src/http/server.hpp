// A small HTTP/1.1 server on Boost.Beast for the management API, health and
// metrics, built to face hostile clients (docs/security.md).
//
// `threads` threads run one io_context that only moves bytes: it accepts,
// reads and writes. Handlers that may block (a database round trip) run on a
// separate pool of `handler_threads`, so a slow database never stops the
// server from reading, writing or answering the non-blocking routes
// (/health/live): those run on the io threads themselves.
//
// Limits: a whole request (headers and body) must arrive within
// `request_timeout_ms` (slowloris), headers are capped in bytes and in count,
// bodies in bytes; at most `max_connections` connections are open at once and
// at most `max_connections_per_client` from one address, beyond which a
// connection gets an immediate 503. No exception escapes a thread: a handler's
// becomes a 500, anything else is logged and the io thread goes on.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "auth/principal.hpp"
#include "util/error.hpp"

namespace st {

class Metrics;

// Who may call a route: anyone, or a principal holding at least this role.
enum class Access { kPublic, kViewer, kOperator, kAdmin };

// What the middleware learned about a request, for the handler.
struct RequestContext {
  Access access = Access::kPublic;  // the matched route's
  std::string request_id;
  std::string trace_id;                // of the request's span (the caller's trace when it sent a valid traceparent)
  std::optional<Principal> principal;  // set by authentication
  std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now();
};

struct HttpRequest {
  std::string method;  // "GET"
  std::string path;    // without the query
  std::string query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::map<std::string, std::string> params;  // from the route pattern: {id}
  std::string remote_address;
  RequestContext context;
};

// The body of a response that goes on after its headers: server-sent events
// (GET /v1/jobs/{id}/events). The server calls next() on its handler pool
// every `interval` and writes what it returns as one chunk; an empty string
// sends nothing this time, nullopt ends the response. Destroyed when the
// stream ends or the client goes away.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  virtual std::optional<std::string> next() = 0;
  [[nodiscard]] virtual std::chrono::milliseconds interval() const { return std::chrono::milliseconds(500); }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
  std::shared_ptr<ResponseStream> stream;  // set: `body` is ignored and the stream follows the headers
};

// RFC 9457 problem details.
HttpResponse problem(int status, std::string_view title, std::string_view detail);
HttpResponse json_response(int status, const std::string& body);

// Runs around every request, in the order added: before() may end the
// request with a response (401, 429), after() sees every response (headers,
// the access log), in reverse order.
class Middleware {
 public:
  virtual ~Middleware() = default;
  virtual std::optional<HttpResponse> before(HttpRequest& /*request*/) { return std::nullopt; }
  virtual void after(const HttpRequest& /*request*/, HttpResponse& /*response*/) {}
};

// Method + path pattern ("/v1/jobs/{id}") to handler, through the
// middleware. 404 and 405 as problems.
class Router {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  // Whether a handler may wait (on the database, say): blocking handlers run
  // on the server's handler pool, non-blocking ones on its io threads.
  // Middleware runs where the handler does: routes that need a principal
  // (which may mean fetching a JWKS) must be blocking.
  enum class Blocking { kYes, kNo };
  void add(std::string method, const std::string& pattern, Access access, Handler handler,
           Blocking blocking = Blocking::kYes);
  void use(std::shared_ptr<Middleware> middleware);
  // Every request is counted and timed here, by route pattern (null: not measured).
  void measure(Metrics* metrics) { metrics_ = metrics; }
  // Never throws: a handler's exception becomes a 500 problem.
  [[nodiscard]] HttpResponse dispatch(HttpRequest request) const;
  // True when the route that `method` and `path` reach (or the 404/405 that
  // answers them) cannot block.
  [[nodiscard]] bool is_non_blocking(std::string_view method, std::string_view path) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    Blocking blocking = Blocking::kYes;
    Access access = Access::kPublic;
  };
  [[nodiscard]] HttpResponse run(HttpRequest& request, const Route* route, bool path_matched) const;
  [[nodiscard]] const Route* match(std::string_view method, const std::vector<std::string>& segments,
                                   std::map<std::string, std::string>* params, bool* path_matched) const;
  // Routes may be added while the server already answers (the health routes
  // serve from the first moment, the API's join once its parts are up).
  mutable std::shared_mutex mutex_;
  std::deque<Route> routes_;  // a deque: a matched route stays put while others are added
  std::vector<std::shared_ptr<Middleware>> middleware_;
  Metrics* metrics_ = nullptr;
};

struct HttpServerOptions {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8080;  // 0: any free port (see port())
  int threads = 2;            // io threads
  int handler_threads = 4;    // threads for blocking handlers
  int max_connections = 256;
  int max_connections_per_client = 32;  // per remote address
  // The whole request, headers and body, from the moment the server starts
  // waiting for it (a kept-alive connection's idle time counts); also the
  // response's write.
  int request_timeout_ms = 10000;
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  std::size_t max_header_count = 100;
  std::size_t max_body_bytes = std::size_t{1024} * 1024;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, const Router& router);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();

  // Binds and starts serving; kUnavailable when the address cannot be bound.
  Result<void> start();
  void stop();
  [[nodiscard]] std::uint16_t port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace st
