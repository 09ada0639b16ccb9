// GET /v1/jobs/{id}/events: a job's status and progress as server-sent events
// (https://html.spec.whatwg.org/multipage/server-sent-events.html).
//
//   event: status     data: the job (as GET /v1/jobs/{id}), each time its status changes
//   event: progress   data: the job with its live figures, each time they change
//   : keep-alive      every 15 s of silence, so proxies and clients see a live connection
//
// The stream ends after the job's final status, or after its lifetime (the
// client's EventSource reconnects). Every poll reads the status cache and the
// live progress (Redis), falling back to the database when Redis is away.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "http/server.hpp"
#include "jobs/job.hpp"
#include "util/error.hpp"

namespace st {

// Bounds the streams open at once: each holds a connection and polls.
class EventStreamCounter : public std::enable_shared_from_this<EventStreamCounter> {
 public:
  explicit EventStreamCounter(int max) : max_(max) {}

  // Counts a stream in until the slot is destroyed; nullopt when full.
  class Slot {
   public:
    explicit Slot(std::shared_ptr<std::atomic<int>> open) : open_(std::move(open)) {}
    Slot(Slot&&) noexcept = default;
    Slot& operator=(Slot&&) noexcept = default;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() {
      if (open_) open_->fetch_sub(1);
    }

   private:
    std::shared_ptr<std::atomic<int>> open_;
  };
  std::optional<Slot> take();

 private:
  int max_;
  std::shared_ptr<std::atomic<int>> open_ = std::make_shared<std::atomic<int>>(0);
};

// Where a stream reads its job.
struct JobEventSource {
  std::function<Result<Job>()> job;
  std::function<std::optional<JobProgress>()> live;
  std::function<nlohmann::json(const Job&, const std::optional<JobProgress>&)> render;
};

class JobEventStream final : public ResponseStream {
 public:
  using Clock = std::chrono::steady_clock;
  JobEventStream(JobEventSource source, EventStreamCounter::Slot slot, std::chrono::seconds lifetime);
  std::optional<std::string> next() override;
  [[nodiscard]] std::chrono::milliseconds interval() const override { return std::chrono::milliseconds(250); }

 private:
  JobEventSource source_;
  EventStreamCounter::Slot slot_;
  Clock::time_point ends_at_;
  Clock::time_point last_sent_;
  bool started_ = false;
  bool finished_ = false;
  std::optional<JobStatus> status_;
  std::string progress_seen_;  // updatedAt of the last progress sent
  int event_id_ = 0;
};

}  // namespace st
