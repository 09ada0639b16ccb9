// The management API's middleware, in the order the composition root adds it:
//
//   RequestIdMiddleware   X-Request-Id (the caller's if it is a safe token,
//                         else a new one) and the trace id of traceparent;
//                         answers carry X-Request-Id; the access log line
//   AuthMiddleware        the principal of a bearer token (401 with
//                         WWW-Authenticate when it is missing or refused,
//                         403 when its roles do not reach the route's access)
//   RateLimitMiddleware   token buckets per subject and per tenant (429 with
//                         Retry-After and RateLimit-* headers)
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "auth/principal.hpp"
#include "http/rate_limiter.hpp"
#include "http/server.hpp"

namespace st {

class RequestIdMiddleware final : public Middleware {
 public:
  std::optional<HttpResponse> before(HttpRequest& request) override;
  void after(const HttpRequest& request, HttpResponse& response) override;
};

// Turns a bearer token into a principal, or says why not (kInvalidInput).
using Authenticate = std::function<Result<Principal>(const std::string& token)>;

class AuthMiddleware final : public Middleware {
 public:
  // With no `authenticate`, every request is `development` (auth.enabled=false).
  AuthMiddleware(Authenticate authenticate, std::optional<Principal> development)
      : authenticate_(std::move(authenticate)), development_(std::move(development)) {}
  std::optional<HttpResponse> before(HttpRequest& request) override;

 private:
  Authenticate authenticate_;
  std::optional<Principal> development_;
};

struct RateLimitOptions {
  RateLimit per_subject{.per_second = 20, .burst = 40};
  RateLimit per_tenant{.per_second = 50, .burst = 100};
  // The tenant's own rate (its policy's requestsPerSecond), when it has one.
  std::function<std::optional<double>(const std::string& tenant)> tenant_rate;
};

class RateLimitMiddleware final : public Middleware {
 public:
  RateLimitMiddleware(RateLimiter& limiter, RateLimitOptions options)
      : limiter_(limiter), options_(std::move(options)) {}
  std::optional<HttpResponse> before(HttpRequest& request) override;

 private:
  RateLimiter& limiter_;
  RateLimitOptions options_;
};

// Remembers a value per key for `ttl` (tenant policies for the rate limit:
// one database read per tenant per ttl, not one per request). Thread-safe.
class TtlCache {
 public:
  using Load = std::function<std::optional<double>(const std::string& key)>;
  TtlCache(Load load, std::chrono::milliseconds ttl, std::size_t max_keys = 10000)
      : load_(std::move(load)), ttl_(ttl), max_keys_(max_keys) {}
  std::optional<double> get(const std::string& key);

 private:
  struct Entry {
    std::optional<double> value;
    std::chrono::steady_clock::time_point loaded;
  };
  Load load_;
  std::chrono::milliseconds ttl_;
  std::size_t max_keys_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

}  // namespace st
