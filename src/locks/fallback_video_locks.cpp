#include "locks/fallback_video_locks.hpp"

#include <spdlog/spdlog.h>

namespace st {
namespace {

class FallbackVideoLock final : public VideoLock {
 public:
  FallbackVideoLock(std::unique_ptr<VideoLock> redis, std::unique_ptr<VideoLock> postgres, PgVideoLocks& locks,
                    std::string tenant, std::string video, RedisFallbackCounters& counters)
      : redis_(std::move(redis)),
        postgres_(std::move(postgres)),
        locks_(locks),
        tenant_(std::move(tenant)),
        video_(std::move(video)),
        counters_(counters) {}

  Result<void> renew() override {
    if (redis_) {
      auto renewed = redis_->renew();
      if (renewed || renewed.error().code == ErrorCode::kConflict) return renewed;
    }
    if (postgres_) return postgres_->renew();
    // Redis went away under a Redis lock: hold the video in PostgreSQL from now on.
    auto taken = locks_.try_acquire(tenant_, video_);
    if (!taken) return {};  // neither store answers: the fencing token still guards every write
    if (!*taken) {
      return fail(ErrorCode::kConflict, "Redis went away and another job took the video's advisory lock meanwhile");
    }
    counters_.video_lock.fetch_add(1);
    spdlog::info("the video's lock moved to a PostgreSQL advisory lock while Redis is away");
    postgres_ = std::move(*taken);
    return {};
  }
  [[nodiscard]] const char* backend() const override { return postgres_ ? postgres_->backend() : "redis"; }

 private:
  std::unique_ptr<VideoLock> redis_;
  std::unique_ptr<VideoLock> postgres_;
  PgVideoLocks& locks_;
  std::string tenant_;
  std::string video_;
  RedisFallbackCounters& counters_;
};

}  // namespace

Result<std::unique_ptr<VideoLock>> FallbackVideoLocks::try_acquire(const std::string& tenant,
                                                                   const std::string& video) {
  if (redis_ != nullptr) {
    auto held = redis_->try_acquire(tenant, video);
    if (held) {
      if (!*held) return std::unique_ptr<VideoLock>();
      auto free = postgres_.is_free(tenant, video);
      if (free && !*free) return std::unique_ptr<VideoLock>();  // released when `held` goes
      return std::unique_ptr<VideoLock>(
          std::make_unique<FallbackVideoLock>(std::move(*held), nullptr, postgres_, tenant, video, counters_));
    }
    if (held.error().code != ErrorCode::kUnavailable) return tl::unexpected(held.error());
    counters_.video_lock.fetch_add(1);
  }
  auto held = postgres_.try_acquire(tenant, video);
  if (!held) return tl::unexpected(held.error());
  if (!*held) return std::unique_ptr<VideoLock>();
  return std::unique_ptr<VideoLock>(
      std::make_unique<FallbackVideoLock>(nullptr, std::move(*held), postgres_, tenant, video, counters_));
}

}  // namespace st
