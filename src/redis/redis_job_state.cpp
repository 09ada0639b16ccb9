#include "redis/redis_job_state.hpp"

#include <spdlog/spdlog.h>

#include "util/json_bounds.hpp"

namespace st {
namespace {

using Clock = std::chrono::steady_clock;

const RedisScript& put_script() {
  // KEYS: record, version. ARGV: expected version, record, ttl in ms.
  static const RedisScript kScript(R"lua(
local version = redis.call('GET', KEYS[2]) or '0'
if version == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
)lua");
  return kScript;
}

const RedisScript& invalidate_script() {
  // KEYS: record, version. The version outlives any record read before it by far.
  static const RedisScript kScript(R"lua(
redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], 86400000)
return 1
)lua");
  return kScript;
}

// Values we wrote, read back as outside input all the same (another process
// of another version, or anyone with access to Redis, may have written them).
std::optional<nlohmann::json> parse_value(const std::string& text) {
  if (!check_json_bounds(
          text, {.max_bytes = std::size_t{4} << 20, .max_depth = 32, .max_string_bytes = std::size_t{1} << 20}))
    return std::nullopt;
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) return std::nullopt;
  return doc;
}

}  // namespace

bool RedisJobState::replay_pending() {
  std::set<std::string> pending;
  {
    std::lock_guard lock(mutex_);
    if (pending_.empty() && !overflowed_) return true;
    pending.swap(pending_);
  }
  std::set<std::string> failed;
  for (const auto& id : pending) {
    if (!failed.empty() || !invalidate_now(id)) failed.insert(id);
  }
  std::lock_guard lock(mutex_);
  pending_.insert(failed.begin(), failed.end());
  if (overflowed_ && Clock::now() >= trust_after_ && failed.empty()) overflowed_ = false;
  return pending_.empty() && !overflowed_;
}

Result<void> RedisJobState::invalidate_now(const std::string& job_id) {
  auto done = redis_.eval(invalidate_script(), {redis_.key("job:" + job_id), redis_.key("jobver:" + job_id)}, {});
  if (!done) return tl::unexpected(done.error());
  return {};
}

void RedisJobState::invalidate(const std::vector<std::string>& job_ids) {
  replay_pending();
  for (const auto& id : job_ids) {
    if (invalidate_now(id)) continue;
    counters_.status_cache.fetch_add(1);
    std::lock_guard lock(mutex_);
    if (pending_.size() < options_.max_pending_invalidations) {
      pending_.insert(id);
    } else if (!overflowed_) {
      overflowed_ = true;
      spdlog::warn("too many status cache invalidations wait for Redis: the cache is bypassed until it is back");
    }
    if (overflowed_) trust_after_ = Clock::now() + options_.cache_ttl;
  }
}

Result<CachedJob> RedisJobState::get(const std::string& job_id) {
  if (!replay_pending()) {
    counters_.status_cache.fetch_add(1);
    return fail(ErrorCode::kUnavailable, "status cache invalidations are still pending");
  }
  auto reply = redis_.command({"MGET", redis_.key("job:" + job_id), redis_.key("jobver:" + job_id)});
  if (!reply) {
    counters_.status_cache.fetch_add(1);
    return tl::unexpected(reply.error());
  }
  CachedJob cached;
  if (reply->elements.size() != 2) return cached;
  const auto& record = reply->elements[0];
  const auto& version = reply->elements[1];
  cached.version = version.type == RedisReply::Type::kString ? version.text : "0";
  if (record.type == RedisReply::Type::kString) {
    if (auto doc = parse_value(record.text)) cached.job = job_from_record_json(*doc);
  }
  return cached;
}

Result<void> RedisJobState::put(const Job& job, const std::string& version) {
  if (!replay_pending()) return fail(ErrorCode::kUnavailable, "status cache invalidations are still pending");
  const auto record = to_record_json(job).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto done = redis_.eval(put_script(), {redis_.key("job:" + job.id), redis_.key("jobver:" + job.id)},
                          {version, record, std::to_string(options_.cache_ttl.count())});
  if (!done) return tl::unexpected(done.error());
  return {};
}

Result<void> RedisJobState::publish(const std::string& job_id, const JobProgress& progress) {
  auto done = redis_.command({"SET", redis_.key("progress:" + job_id),
                              to_json(progress).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "PX",
                              std::to_string(options_.progress_ttl.count())});
  if (!done) {
    counters_.progress.fetch_add(1);
    return tl::unexpected(done.error());
  }
  return {};
}

Result<std::optional<JobProgress>> RedisJobState::read(const std::string& job_id) {
  auto reply = redis_.command({"GET", redis_.key("progress:" + job_id)});
  if (!reply) return tl::unexpected(reply.error());
  if (reply->type != RedisReply::Type::kString) return std::optional<JobProgress>();
  auto doc = parse_value(reply->text);
  if (!doc) return std::optional<JobProgress>();
  return progress_from_json(*doc);
}

}  // namespace st
