#include "locks/redis_video_locks.hpp"

#include <array>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace st {
namespace {

// 1: extended (or taken again after it vanished); 0: another token holds it.
const RedisScript& extend_script() {
  static const RedisScript kScript(R"lua(
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
)lua");
  return kScript;
}

// Deletes the key only while it holds our token: an expired lock that
// another job took since is not ours to delete.
const RedisScript& release_script() {
  static const RedisScript kScript(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
)lua");
  return kScript;
}

std::string random_token() {
  std::random_device random;
  std::array<std::uint32_t, 4> words{};
  for (auto& w : words) w = random();
  return fmt::format("{:08x}{:08x}{:08x}{:08x}", words[0], words[1], words[2], words[3]);
}

class RedisVideoLock final : public VideoLock {
 public:
  RedisVideoLock(RedisClient& redis, std::string key, std::string token, std::chrono::milliseconds ttl)
      : redis_(redis), key_(std::move(key)), token_(std::move(token)), ttl_(ttl) {}
  RedisVideoLock(const RedisVideoLock&) = delete;
  RedisVideoLock& operator=(const RedisVideoLock&) = delete;
  ~RedisVideoLock() override {
    // Best effort: a lock we cannot delete expires by itself.
    if (auto released = redis_.eval(release_script(), {key_}, {token_}); !released) {
      spdlog::warn("the video lock {} was not released ({}); it expires within {} ms", key_, released.error().message,
                   ttl_.count());
    }
  }

  Result<void> renew() override {
    auto reply = redis_.eval(extend_script(), {key_}, {token_, std::to_string(ttl_.count())});
    if (!reply) return tl::unexpected(reply.error());
    if (reply->integer != 1) {
      return fail(ErrorCode::kConflict, fmt::format("the video lock {} expired and another job holds it now", key_));
    }
    return {};
  }
  [[nodiscard]] const char* backend() const override { return "redis"; }

 private:
  RedisClient& redis_;
  std::string key_;
  std::string token_;
  std::chrono::milliseconds ttl_;
};

}  // namespace

std::string RedisVideoLocks::key_of(const std::string& tenant, const std::string& video) {
  return fmt::format("lock:{}:{}", tenant, video);
}

Result<std::unique_ptr<VideoLock>> RedisVideoLocks::try_acquire(const std::string& tenant, const std::string& video) {
  const auto key = redis_.key(key_of(tenant, video));
  auto token = random_token();
  auto reply = redis_.command({"SET", key, token, "NX", "PX", std::to_string(ttl_.count())});
  if (!reply) return tl::unexpected(reply.error());
  if (reply->is_nil()) return std::unique_ptr<VideoLock>();
  return std::unique_ptr<VideoLock>(std::make_unique<RedisVideoLock>(redis_, key, std::move(token), ttl_));
}

}  // namespace st
