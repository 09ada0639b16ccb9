#include "http/redis_rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace st {
namespace {

// KEYS[1]: the key's arrival time. ARGV: emission interval (ms), burst.
// Returns {allowed, remaining, retry after (ms), reset (ms)}; times as
// strings, since Redis turns Lua numbers into integers.
const RedisScript& gcra_script() {
  static const RedisScript kScript(R"lua(
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local interval = tonumber(ARGV[1])
local tolerance = interval * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + interval
local allow_at = next_tat - tolerance
if now < allow_at then
  return {0, 0, tostring(allow_at - now), tostring(tat - now)}
end
redis.call('SET', KEYS[1], tostring(next_tat), 'PX', math.ceil(next_tat - now) + 1)
return {1, math.floor((now - allow_at) / interval), '0', tostring(next_tat - now)}
)lua");
  return kScript;
}

double number_of(const RedisReply& reply) {
  if (reply.type == RedisReply::Type::kInteger) return static_cast<double>(reply.integer);
  return std::strtod(reply.text.c_str(), nullptr);
}

}  // namespace

RateDecision RedisRateLimiter::take(const std::string& key, const RateLimit& limit) {
  const double rate = std::max(limit.per_second, 1e-6);
  const double burst = std::max(limit.burst, 1.0);
  auto reply = redis_.eval(gcra_script(), {redis_.key("rate:" + key)},
                           {fmt::format("{:.6f}", 1000.0 / rate), fmt::format("{:.6f}", burst)});
  if (!reply || reply->elements.size() != 4) {
    counters_.rate_limit.fetch_add(1);
    return fallback_.take(key, limit);
  }
  RateDecision decision;
  decision.allowed = number_of(reply->elements[0]) == 1;
  decision.limit = static_cast<std::int64_t>(burst);
  decision.remaining = static_cast<std::int64_t>(number_of(reply->elements[1]));
  decision.retry_after_seconds = number_of(reply->elements[2]) / 1000.0;
  decision.reset_seconds = number_of(reply->elements[3]) / 1000.0;
  return decision;
}

}  // namespace st
