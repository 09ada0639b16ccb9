#include "jobs/worker_pool.hpp"

#include <random>

#include <spdlog/spdlog.h>

#include "observability/metrics.hpp"
#include "observability/tracing.hpp"
#include "util/log.hpp"
#include "util/retry.hpp"
#include "util/thread_context.hpp"
#include "util/trace_context.hpp"

namespace st {
namespace {

// Sleeps for `duration` or until `stop`; true when the caller should go on.
bool sleep_unless_stopped(const std::stop_token& stop, std::chrono::milliseconds duration) {
  std::mutex mutex;
  std::condition_variable_any sleeper;
  std::unique_lock lock(mutex);
  sleeper.wait_for(lock, stop, duration, [] { return false; });
  return !stop.stop_requested();
}

}  // namespace

struct WorkerPool::ActiveJob {
  JobLease lease;
  std::stop_source stop;
  std::atomic<bool> lease_lost{false};
  std::atomic<bool> released{false};  // stopped by shutdown or a lost video lock: give the job back
  // Taken by the job's thread, renewed by the heartbeat thread, released by the job's thread.
  std::mutex video_lock_mutex;
  std::unique_ptr<VideoLock> video_lock;

  // The job's progress, fed by its handler and read by the progress thread.
  std::mutex progress_mutex;
  ProgressTracker tracker;
  bool progress_started = false;
  // What was last persisted, for the persistence rules.
  std::string persisted_step;
  int persisted_tens = -1;
  std::chrono::steady_clock::time_point persisted_at{};
};

class WorkerPool::Context final : public JobContext {
 public:
  Context(ActiveJob& active, JobQueue& store, std::chrono::seconds lease, Metrics* metrics)
      : active_(active), store_(store), lease_(lease), metrics_(metrics) {}
  [[nodiscard]] std::stop_token stop_token() const override { return active_.stop.get_token(); }
  void step_started(std::string_view step) override {
    std::lock_guard lock(active_.progress_mutex);
    active_.tracker.step_started(std::string(step));
    active_.progress_started = true;
  }
  void step_finished(std::string_view step, double wall_seconds) override {
    if (metrics_ != nullptr) metrics_->step_finished(step, wall_seconds);
  }
  void encode_progress(const EncodeProgress& progress, const ProgressEstimate& estimate) override {
    std::lock_guard lock(active_.progress_mutex);
    active_.tracker.encode_progress(progress, estimate);
    active_.progress_started = true;
  }
  Result<void> confirm_lease() override {
    auto renewed = store_.heartbeat(active_.lease, lease_);
    if (!renewed && (renewed.error().code == ErrorCode::kConflict || renewed.error().code == ErrorCode::kNotFound)) {
      active_.lease_lost = true;
      active_.stop.request_stop();
    }
    return renewed;
  }

 private:
  ActiveJob& active_;
  JobQueue& store_;
  std::chrono::seconds lease_;
  Metrics* metrics_;
};

WorkerPool::WorkerPool(JobQueue& queue, JobHandler& handler, WorkerOptions options, WorkerServices services)
    : store_(queue), handler_(handler), options_(std::move(options)), services_(services) {}

WorkerPool::~WorkerPool() {
  shutdown(std::chrono::milliseconds(0));
}

void WorkerPool::start() {
  for (int i = 0; i < options_.concurrency; ++i) workers_.emplace_back([this] { work_loop(); });
  heartbeat_ = std::jthread([this](const std::stop_token& stop) { heartbeat_loop(stop); });
  progress_ = std::jthread([this](const std::stop_token& stop) { progress_loop(stop); });
  reaper_ = std::jthread([this](const std::stop_token& stop) { reaper_loop(stop); });
}

void WorkerPool::wake() {
  {
    std::lock_guard lock(mutex_);
    ++wake_count_;
  }
  wakeup_.notify_all();
}

void WorkerPool::cancelled(const std::string& job_id) {
  std::lock_guard lock(mutex_);
  const auto it = active_.find(job_id);
  if (it == active_.end()) return;
  spdlog::info("job {} was cancelled: stopping it", job_id);
  it->second->lease_lost = true;  // the cancellation moved the fencing token on
  it->second->stop.request_stop();
}

int WorkerPool::running_jobs() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(active_.size());
}

void WorkerPool::shutdown(std::chrono::milliseconds grace) {
  std::unique_lock lock(mutex_);
  claiming_ = false;
  wakeup_.notify_all();
  if (!idle_.wait_for(lock, grace, [this] { return active_.empty(); })) {
    spdlog::warn("{} job(s) still running after the {} ms grace period: stopping them and releasing their leases",
                 active_.size(), grace.count());
    for (auto& [id, active] : active_) {
      active->released = true;
      active->stop.request_stop();
    }
  }
  lock.unlock();
  workers_.clear();  // joins
  heartbeat_ = {};
  progress_ = {};
  reaper_ = {};
}

void WorkerPool::work_loop() {
  while (true) {
    std::uint64_t seen = 0;
    {
      std::lock_guard lock(mutex_);
      if (!claiming_) return;
      seen = wake_count_;
    }
    auto claimed = store_.claim(options_.owner, options_.lease);
    if (claimed && *claimed) {
      run_job(**claimed);
      continue;  // there may be more
    }
    if (!claimed) spdlog::warn("cannot claim jobs: {}", claimed.error().message);
    std::unique_lock lock(mutex_);
    wakeup_.wait_for(lock, options_.poll, [&] { return !claiming_ || wake_count_ != seen; });
  }
}

void WorkerPool::run_job(const Job& job) {
  auto active = std::make_shared<ActiveJob>();
  active->lease = {job.id, job.fencing_token};
  bool started = true;
  {
    std::lock_guard lock(mutex_);
    active_[job.id] = active;
    // Claimed just as shutdown began: hand it straight back.
    if (!claiming_) started = false;
  }
  if (!started) active->released = true;
  // Everything the job does, on this thread and those it hands work to, is
  // logged with its fields, traced beneath its span (a child of the upload's
  // trace) and charged to its CPU account.
  auto cpu = std::make_shared<CpuAccount>();
  const ThreadContextScope scope(
      ThreadContext{.log = {.job_id = job.id, .video_id = job.spec.video_id, .tenant_id = job.spec.tenant_id},
                    .span = std::nullopt,
                    .cpu = cpu});
  Span span("transcode job", SpanKind::kInternal, parse_traceparent(job.spec.origin.traceparent));
  span.set("st.job.id", job.id);
  span.set("st.tenant.id", job.spec.tenant_id);
  span.set("st.video.id", job.spec.video_id);
  span.set("st.job.attempt", static_cast<std::int64_t>(job.attempt));
  span.set("st.worker", options_.owner);
  const auto claimed_at = std::chrono::steady_clock::now();
  spdlog::info("job {} claimed (attempt {} of {}) for tenant {} video {}", job.id, job.attempt, job.spec.max_attempts,
               job.spec.tenant_id, job.spec.video_id);

  if (started && !lock_video(job, *active)) {
    std::lock_guard lock(mutex_);
    active_.erase(job.id);
    idle_.notify_all();
    span.set("st.job.outcome", "deferred");
    return;
  }
  Context context(*active, store_, options_.lease, services_.metrics);
  Result<JobOutcome> outcome = fail(ErrorCode::kCancelled, "not started: the worker is stopping");
  if (started) {
    try {
      outcome = handler_.run(job, context);
    } catch (const std::exception& e) {
      outcome = fail(ErrorCode::kInternal, std::string("the job handler threw: ") + e.what());
    }
  }
  const auto ended = record_outcome(*active, job, outcome);
  span.set("st.job.outcome", std::string(ended));
  span.set("st.job.cpu_seconds", cpu->seconds());
  if (!outcome) span.set_error(outcome.error().message);
  if (auto* metrics = services_.metrics) {
    const auto& tenant = job.spec.tenant_id;
    metrics->job_attempt_ended(tenant, ended,
                               std::chrono::duration<double>(std::chrono::steady_clock::now() - claimed_at).count());
    metrics->job_cpu(tenant, cpu->seconds());
    if (outcome && ended == "succeeded") {
      metrics->job_output(tenant, outcome->duration_seconds, outcome->timings.encode_speed);
    }
  }

  {
    std::lock_guard lock(mutex_);
    active_.erase(job.id);
  }
  {
    // After the outcome is recorded: the next job of the video sees it.
    std::lock_guard lock(active->video_lock_mutex);
    active->video_lock.reset();
  }
  completed_.fetch_add(1);
  idle_.notify_all();
}

std::string_view WorkerPool::record_outcome(const ActiveJob& active, const Job& job,
                                            const Result<JobOutcome>& outcome) {
  if (active.lease_lost) {
    spdlog::warn("job {} stopped: its lease is void (cancelled, or another worker owns it now)", job.id);
    return "lost";
  }
  if (active.released) {
    if (auto released = store_.release(active.lease); !released) {
      spdlog::warn("job {} could not be released ({}); the reaper will requeue it", job.id, released.error().message);
    } else {
      spdlog::info("job {} released for another worker", job.id);
    }
    return "released";
  }
  if (outcome) {
    if (auto done = store_.succeed(active.lease, *outcome); !done) {
      spdlog::error("job {} succeeded but could not be recorded: {}", job.id, done.error().message);
      return "lost";
    }
    spdlog::info("job {} succeeded", job.id);
    return "succeeded";
  }
  thread_local std::mt19937_64 random{std::random_device{}()};
  const auto delay = retry_delay(job.attempt, options_.retry_base, options_.retry_cap,
                                 std::uniform_real_distribution<double>(0.0, 1.0)(random));
  const auto status = store_.fail(active.lease, outcome.error(), outcome.error().is_permanent(), delay);
  if (!status) {
    spdlog::error("job {} failed ({}) and the failure could not be recorded: {}", job.id, outcome.error().message,
                  status.error().message);
    return "lost";
  }
  if (*status == JobStatus::kQueued) {
    spdlog::warn("job {} failed, retrying in {} ms: {}", job.id, delay.count(), outcome.error().message);
    return "retried";
  }
  spdlog::error("job {} is {}: {}", job.id, to_string(*status), outcome.error().message);
  return *status == JobStatus::kDead ? "dead" : (*status == JobStatus::kCancelled ? "cancelled" : "failed");
}

bool WorkerPool::lock_video(const Job& job, ActiveJob& active) {
  if (services_.locks == nullptr) return true;
  auto held = services_.locks->try_acquire(job.spec.tenant_id, job.spec.video_id);
  if (held && *held) {
    std::lock_guard lock(active.video_lock_mutex);
    active.video_lock = std::move(*held);
    return true;
  }
  // Locked by another job of the video (or undecidable right now): this one
  // waits its turn without spending an attempt.
  if (!held) {
    spdlog::warn("job {}: the video's lock cannot be taken ({}); it waits", job.id, held.error().message);
  } else {
    spdlog::info("job {} waits: another job of video {} runs", job.id, job.spec.video_id);
  }
  if (auto deferred = store_.defer(active.lease, options_.video_locked_retry); !deferred) {
    spdlog::warn("job {} could not be deferred ({}); the reaper will requeue it", job.id, deferred.error().message);
  }
  return false;
}

void WorkerPool::stop_lost(ActiveJob& active, const std::string& why) {
  spdlog::warn("{}; stopping job {}", why, active.lease.job_id);
  active.lease_lost = true;
  active.stop.request_stop();
}

void WorkerPool::heartbeat_loop(const std::stop_token& stop) {
  // The video lock's expiry is at least three heartbeats in the default
  // configuration; renewing it with the lease keeps one clock for both.
  while (sleep_unless_stopped(stop, options_.heartbeat)) {
    std::vector<std::shared_ptr<ActiveJob>> running;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [id, active] : active_) running.push_back(active);
    }
    for (const auto& active : running) {
      auto renewed = store_.heartbeat(active->lease, options_.lease);
      if (!renewed && (renewed.error().code == ErrorCode::kConflict || renewed.error().code == ErrorCode::kNotFound)) {
        stop_lost(*active, renewed.error().message);
        continue;
      }
      if (!renewed) spdlog::warn("lease of job {} not renewed: {}", active->lease.job_id, renewed.error().message);
      std::lock_guard lock(active->video_lock_mutex);
      if (active->video_lock) {
        if (auto kept = active->video_lock->renew(); !kept && kept.error().code == ErrorCode::kConflict) {
          // Another job of the video runs: give this one back to run after it.
          spdlog::warn("job {}: {}; giving it back", active->lease.job_id, kept.error().message);
          active->released = true;
          active->stop.request_stop();
        }
      }
    }
  }
}

void WorkerPool::progress_loop(const std::stop_token& stop) {
  using Clock = std::chrono::steady_clock;
  while (sleep_unless_stopped(stop, options_.progress_publish)) {
    std::vector<std::shared_ptr<ActiveJob>> running;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [id, active] : active_) running.push_back(active);
    }
    for (const auto& active : running) {
      if (active->lease_lost || active->released) continue;
      JobProgress progress;
      bool persist = false;
      {
        std::lock_guard lock(active->progress_mutex);
        if (!active->progress_started) continue;
        progress = active->tracker.snapshot();
        const int tens = static_cast<int>(progress.percent / 10) * 10;
        const auto now = Clock::now();
        persist = progress.step != active->persisted_step || tens > active->persisted_tens ||
                  now - active->persisted_at >= options_.progress_persist;
        if (persist) {
          active->persisted_step = progress.step;
          active->persisted_tens = tens;
          active->persisted_at = now;
        }
      }
      if (services_.live != nullptr) {
        if (auto published = services_.live->publish(active->lease.job_id, progress); !published) {
          spdlog::debug("live progress of job {} not published: {}", active->lease.job_id, published.error().message);
        }
      }
      if (!persist) continue;
      auto recorded = store_.record_progress(active->lease, progress);
      if (!recorded &&
          (recorded.error().code == ErrorCode::kConflict || recorded.error().code == ErrorCode::kNotFound)) {
        stop_lost(*active, recorded.error().message);
      } else if (!recorded) {
        spdlog::warn("progress of job {} not recorded: {}", active->lease.job_id, recorded.error().message);
      }
    }
  }
}

void WorkerPool::reaper_loop(const std::stop_token& stop) {
  while (sleep_unless_stopped(stop, options_.reaper_interval)) {
    auto requeued = store_.requeue_expired();
    if (!requeued) {
      spdlog::warn("reaper: {}", requeued.error().message);
    } else if (!requeued->empty()) {
      for (const auto& id : *requeued) spdlog::warn("job {} requeued: its worker's lease expired", id);
      wake();
    }
  }
}

}  // namespace st
