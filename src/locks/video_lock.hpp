// One job per video at a time: a worker holds its video's lock while it runs
// a job of that video (a re-upload arriving while the previous version still
// encodes waits, then supersedes it).
//
// The lock is an efficiency measure, not what keeps the outputs correct: a
// lock can expire under a paused process (GC-like stalls, SIGSTOP, a VM
// migration) and the process goes on believing it holds it. Every write that
// matters is fenced by the job's PostgreSQL fencing token instead
// (docs/architecture.md, "Locks and fencing").
#pragma once

#include <memory>
#include <string>

#include "util/error.hpp"

namespace st {

// A held lock; released when destroyed.
class VideoLock {
 public:
  virtual ~VideoLock() = default;
  // Extends the lock while the job runs. kConflict: another job holds the
  // video now (ours expired), and this job must stop.
  virtual Result<void> renew() = 0;
  // Where it is held, for the log: "redis" or "postgresql".
  [[nodiscard]] virtual const char* backend() const = 0;
};

class VideoLocks {
 public:
  virtual ~VideoLocks() = default;
  // The lock of `tenant`'s `video`, or nullptr when another job holds it.
  // kUnavailable when the lock cannot be decided (its store is down).
  virtual Result<std::unique_ptr<VideoLock>> try_acquire(const std::string& tenant, const std::string& video) = 0;
};

}  // namespace st
