// Workers that claim jobs from the JobQueue and run them.
//
// `concurrency` threads each claim one job at a time (the queue's claim is
// FOR UPDATE SKIP LOCKED, so any number of pools in any number of pods can share
// one queue), run it through the JobHandler and record the outcome with the
// job's fencing token. Idle workers sleep until wake() (LISTEN/NOTIFY) or the
// poll interval. One heartbeat thread renews the leases of running jobs and
// stops a job whose lease was lost; one reaper thread requeues jobs whose
// worker died. Failures are retried with exponential backoff and jitter.
//
// With VideoLocks, a job runs only while it holds its video's lock (renewed
// with each heartbeat); a job whose video is locked is deferred, not failed.
// One progress thread publishes every running job's progress to LiveProgress
// each `progress_publish` and persists it (JobQueue::record_progress) at step
// boundaries, at each tens of percent and every `progress_persist`.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "jobs/job_handler.hpp"
#include "jobs/job_queue.hpp"
#include "jobs/job_state_cache.hpp"
#include "locks/video_lock.hpp"

namespace st {

class Metrics;

struct WorkerOptions {
  std::string owner;  // unique per process: "host:pid"
  int concurrency = 1;
  std::chrono::seconds lease{30};
  std::chrono::seconds heartbeat{10};
  std::chrono::milliseconds poll{2000};
  std::chrono::milliseconds reaper_interval{5000};
  std::chrono::milliseconds retry_base{5000};
  std::chrono::milliseconds retry_cap{std::chrono::minutes(10)};
  std::chrono::milliseconds progress_publish{1000};
  std::chrono::seconds progress_persist{15};
  std::chrono::milliseconds video_locked_retry{2000};
};

// What the workers may share with other pods; each may be null.
struct WorkerServices {
  VideoLocks* locks = nullptr;
  LiveProgress* live = nullptr;
  Metrics* metrics = nullptr;
};

class WorkerPool {
 public:
  WorkerPool(JobQueue& queue, JobHandler& handler, WorkerOptions options, WorkerServices services = {});
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  // Stops at once: running jobs are stopped and their leases released.
  ~WorkerPool();

  void start();
  // A job may have become claimable.
  void wake();
  // The job was cancelled: if it runs here, stop it now (its lease is void
  // already, so nothing it does from here on is recorded).
  void cancelled(const std::string& job_id);
  // Graceful stop: claim nothing more, let running jobs finish within `grace`,
  // then stop them and release their leases so another worker takes them.
  void shutdown(std::chrono::milliseconds grace);

  [[nodiscard]] int running_jobs() const;
  [[nodiscard]] std::int64_t completed_jobs() const { return completed_.load(); }

 private:
  struct ActiveJob;
  class Context;

  void work_loop();
  void run_job(const Job& job);
  void heartbeat_loop(const std::stop_token& stop);
  void progress_loop(const std::stop_token& stop);
  // Takes the job's video lock; false when the job was deferred instead.
  bool lock_video(const Job& job, ActiveJob& active);
  void stop_lost(ActiveJob& active, const std::string& why);
  void reaper_loop(const std::stop_token& stop);
  // What became of the attempt, as the metrics name it: succeeded, retried,
  // failed, dead, cancelled, released or lost.
  std::string_view record_outcome(const ActiveJob& active, const Job& job, const Result<JobOutcome>& outcome);

  JobQueue& store_;
  JobHandler& handler_;
  WorkerOptions options_;
  WorkerServices services_;

  mutable std::mutex mutex_;
  std::condition_variable wakeup_;
  std::condition_variable idle_;
  std::uint64_t wake_count_ = 0;
  bool claiming_ = true;
  std::map<std::string, std::shared_ptr<ActiveJob>> active_;
  std::atomic<std::int64_t> completed_{0};

  std::vector<std::jthread> workers_;
  std::jthread heartbeat_;
  std::jthread progress_;
  std::jthread reaper_;
};

}  // namespace st
