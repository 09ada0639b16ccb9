// What a thread is working on, for everything that reports about that work:
// the log fields (job, video, tenant), the current trace span, and the account
// that the CPU time of the children it runs is charged to.
//
// It lives in one thread_local. Work handed to another thread (parallel_for's
// transfer and packager threads) takes the context along with
// ThreadContext::current() and a ThreadContextScope, so that an S3 part's log
// line names its job and its span is a child of the job's step, and an
// encryptor's CPU time is charged to its job.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "util/trace_context.hpp"

namespace st {

// The CPU time of one job's children (ffprobe, ffmpeg, the packager), added by
// Process::wait from wait4's rusage of each child it reaps: exact per job even
// when several jobs run at once, where RUSAGE_CHILDREN counts all of them.
class CpuAccount {
 public:
  void add(double user_seconds, double system_seconds) {
    user_micros_ += static_cast<std::int64_t>(user_seconds * 1e6);
    system_micros_ += static_cast<std::int64_t>(system_seconds * 1e6);
  }
  [[nodiscard]] double seconds() const { return static_cast<double>(user_micros_ + system_micros_) / 1e6; }
  [[nodiscard]] double user_seconds() const { return static_cast<double>(user_micros_) / 1e6; }
  [[nodiscard]] double system_seconds() const { return static_cast<double>(system_micros_) / 1e6; }

 private:
  std::atomic<std::int64_t> user_micros_{0};
  std::atomic<std::int64_t> system_micros_{0};
};

struct LogFields {
  std::string job_id;
  std::string video_id;
  std::string tenant_id;
};

struct ThreadContext {
  LogFields log;
  std::optional<TraceParent> span;  // the span that is current on this thread
  std::shared_ptr<CpuAccount> cpu;  // null: children are charged to no job

  // This thread's context (a copy, to hand to another thread).
  static ThreadContext current();
};

// Mutable access for the scopes below and the log formatter; nothing else.
ThreadContext& this_thread_context();

// Installs a context on this thread for its lifetime and restores the previous one.
class ThreadContextScope {
 public:
  explicit ThreadContextScope(ThreadContext context);
  ThreadContextScope(const ThreadContextScope&) = delete;
  ThreadContextScope& operator=(const ThreadContextScope&) = delete;
  ~ThreadContextScope();

 private:
  ThreadContext previous_;
};

}  // namespace st
