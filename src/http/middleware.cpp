#include "http/middleware.hpp"

#include <cmath>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "util/thread_context.hpp"
#include "util/utf8.hpp"

namespace st {
namespace {

bool is_safe_token(std::string_view text, std::size_t max_length) {
  if (text.empty() || text.size() > max_length) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

std::string new_request_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return fmt::format("{:016x}{:016x}", random(), random());
}

std::string_view access_name(Access access) {
  switch (access) {
    case Access::kPublic:
      return "anyone";
    case Access::kViewer:
      return "viewer";
    case Access::kOperator:
      return "operator";
    case Access::kAdmin:
      return "admin";
  }
  return "admin";
}

Role role_for(Access access) {
  switch (access) {
    case Access::kOperator:
      return Role::kOperator;
    case Access::kAdmin:
      return Role::kAdmin;
    default:
      return Role::kViewer;
  }
}

HttpResponse unauthorized(const std::string& why, bool token_given) {
  auto response = problem(401, "Unauthorized", why);
  // RFC 6750 section 3: no error code when the request carried no token.
  std::string challenge = R"(Bearer realm="stream-transcoding")";
  if (token_given) {
    std::string description;
    for (const char c : why) description += (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
    challenge += fmt::format(R"(, error="invalid_token", error_description="{}")", description);
  }
  response.headers["WWW-Authenticate"] = challenge;
  return response;
}

void set_rate_headers(HttpResponse& response, const RateDecision& decision) {
  response.headers["RateLimit-Limit"] = std::to_string(decision.limit);
  response.headers["RateLimit-Remaining"] = std::to_string(std::max<std::int64_t>(decision.remaining, 0));
  response.headers["RateLimit-Reset"] = std::to_string(static_cast<std::int64_t>(std::ceil(decision.reset_seconds)));
}

}  // namespace

std::optional<HttpResponse> RequestIdMiddleware::before(HttpRequest& request) {
  const auto given = request.headers.find("x-request-id");
  request.context.request_id =
      given != request.headers.end() && is_safe_token(given->second, 128) ? given->second : new_request_id();
  // The request's span (Router::dispatch) continues the caller's trace or starts one.
  if (const auto& span = this_thread_context().span) request.context.trace_id = span->trace_id;
  return std::nullopt;
}

void RequestIdMiddleware::after(const HttpRequest& request, HttpResponse& response) {
  response.headers["X-Request-Id"] = request.context.request_id;
  const auto& principal = request.context.principal;
  const auto elapsed =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - request.context.received).count();
  // Probes and scrapes are not worth a line each.
  if (request.context.access == Access::kPublic && response.status < 400) return;
  spdlog::info("http {} {} {} {:.1f} ms request_id={} subject={} tenant={} trace_id={}",
               to_valid_utf8(request.method.substr(0, 16)), to_valid_utf8(request.path.substr(0, 256)), response.status,
               elapsed, request.context.request_id, principal ? principal->subject : "-",
               principal ? principal->tenant : "-", request.context.trace_id.empty() ? "-" : request.context.trace_id);
}

std::optional<HttpResponse> AuthMiddleware::before(HttpRequest& request) {
  if (request.context.access == Access::kPublic) return std::nullopt;
  if (!authenticate_) {
    request.context.principal = development_;
  } else {
    const auto header = request.headers.find("authorization");
    if (header == request.headers.end()) return unauthorized("this request needs a bearer token", false);
    const std::string_view value = header->second;
    constexpr std::string_view kScheme = "bearer ";
    if (value.size() <= kScheme.size() ||
        !std::equal(kScheme.begin(), kScheme.end(), value.begin(),
                    [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })) {
      return unauthorized("the Authorization header must be 'Bearer <token>'", true);
    }
    auto token = std::string(value.substr(kScheme.size()));
    while (!token.empty() && token.front() == ' ') token.erase(token.begin());
    auto principal = authenticate_(token);
    if (!principal) return unauthorized(principal.error().message, true);
    request.context.principal = std::move(*principal);
  }
  if (!request.context.principal || !request.context.principal->has(role_for(request.context.access))) {
    return problem(403, "Forbidden", fmt::format("this needs the {} role", access_name(request.context.access)));
  }
  return std::nullopt;
}

std::optional<HttpResponse> RateLimitMiddleware::before(HttpRequest& request) {
  const auto& principal = request.context.principal;
  if (!principal) return std::nullopt;  // public routes (health, metrics) are not limited here
  auto tenant_limit = options_.per_tenant;
  if (options_.tenant_rate) {
    if (const auto rate = options_.tenant_rate(principal->tenant)) {
      tenant_limit = {.per_second = *rate, .burst = std::max(1.0, *rate)};
    }
  }
  const auto by_subject =
      limiter_.take(fmt::format("subject:{}/{}", principal->tenant, principal->subject), options_.per_subject);
  const auto by_tenant = by_subject.allowed ? limiter_.take("tenant:" + principal->tenant, tenant_limit) : by_subject;
  // The headers describe the tighter of the two.
  const auto& tighter = !by_subject.allowed                          ? by_subject
                        : !by_tenant.allowed                         ? by_tenant
                        : by_tenant.remaining < by_subject.remaining ? by_tenant
                                                                     : by_subject;
  if (tighter.allowed) return std::nullopt;
  auto response = problem(429, "Too Many Requests",
                          fmt::format("the request rate of {} is above its limit; retry later",
                                      !by_subject.allowed ? "this subject" : "this tenant"));
  response.headers["Retry-After"] =
      std::to_string(std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(tighter.retry_after_seconds))));
  set_rate_headers(response, tighter);
  return response;
}

std::optional<double> TtlCache::get(const std::string& key) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    if (const auto it = entries_.find(key); it != entries_.end() && now - it->second.loaded < ttl_) {
      return it->second.value;
    }
  }
  auto value = load_(key);
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_keys_) entries_.clear();
  entries_[key] = {value, now};
  return value;
}

}  // namespace st
