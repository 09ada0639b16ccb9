// Video locks in Redis: `lock:{tenant}:{video}` set with SET NX PX to a random
// token, extended by a compare-and-extend script and deleted by a
// compare-and-delete script, so that only the holder's token can extend or
// release it. A lock that vanished (Redis restarted without persistence) is
// taken again on renewal when nobody else took it meanwhile.
#pragma once

#include <chrono>

#include "locks/video_lock.hpp"
#include "redis/redis_client.hpp"

namespace st {

class RedisVideoLocks final : public VideoLocks {
 public:
  RedisVideoLocks(RedisClient& redis, std::chrono::milliseconds ttl) : redis_(redis), ttl_(ttl) {}
  Result<std::unique_ptr<VideoLock>> try_acquire(const std::string& tenant, const std::string& video) override;

  // The key of a video's lock (without the client's prefix).
  static std::string key_of(const std::string& tenant, const std::string& video);

 private:
  RedisClient& redis_;
  std::chrono::milliseconds ttl_;
};

}  // namespace st
