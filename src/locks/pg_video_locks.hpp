// Video locks in PostgreSQL, for while Redis is away: a session-level
// advisory lock keyed by a hash of tenant and video, held on a connection of
// its own for as long as the job runs (the lock is the session's: it goes when
// the connection does, even if the process dies).
#pragma once

#include <string>

#include "db/pool.hpp"
#include "locks/video_lock.hpp"

namespace st {

class PgVideoLocks final : public VideoLocks {
 public:
  // `conninfo` opens each holder's connection; `pool` serves is_free().
  PgVideoLocks(std::string conninfo, ConnectionPool& pool) : conninfo_(std::move(conninfo)), pool_(pool) {}
  Result<std::unique_ptr<VideoLock>> try_acquire(const std::string& tenant, const std::string& video) override;
  // False while another session holds the video's advisory lock (a job that
  // started while Redis was away and still runs).
  Result<bool> is_free(const std::string& tenant, const std::string& video);

 private:
  std::string conninfo_;
  ConnectionPool& pool_;
};

}  // namespace st
