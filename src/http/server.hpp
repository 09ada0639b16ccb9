// A small HTTP/1.1 server on Boost.Beast for the management API, health and
// (later) metrics.
//
// Asynchronous: `threads` threads run one io_context. Every read has a deadline
// (a slow or silent client is dropped), bodies are capped, and at most
// `max_connections` connections are served at once; beyond that a connection
// gets an immediate 503. Handlers run on the io threads and must be quick (a
// database round trip is fine; a transcode is not).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace st {

struct HttpRequest {
  std::string method;  // "GET"
  std::string path;    // without the query
  std::string query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::map<std::string, std::string> params;  // from the route pattern: {id}
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
};

// RFC 9457 problem details.
HttpResponse problem(int status, std::string_view title, std::string_view detail);
HttpResponse json_response(int status, const std::string& body);

// Method + path pattern ("/v1/jobs/{id}") to handler. 404 and 405 as problems.
class Router {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  void add(std::string method, const std::string& pattern, Handler handler);
  [[nodiscard]] HttpResponse dispatch(HttpRequest request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

struct HttpServerOptions {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8080;  // 0: any free port (see port())
  int threads = 2;
  int max_connections = 256;
  int read_timeout_ms = 10000;
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
