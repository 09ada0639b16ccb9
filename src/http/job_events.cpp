#include "http/job_events.hpp"

#include <fmt/format.h>

namespace st {
namespace {

std::string event(std::string_view name, int id, const nlohmann::json& data) {
  // One data line: the JSON has no raw newlines (dump without indentation).
  return fmt::format("event: {}\nid: {}\ndata: {}\n\n", name, id,
                     data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

std::optional<EventStreamCounter::Slot> EventStreamCounter::take() {
  if (open_->fetch_add(1) >= max_) {
    open_->fetch_sub(1);
    return std::nullopt;
  }
  return Slot(open_);
}

JobEventStream::JobEventStream(JobEventSource source, EventStreamCounter::Slot slot, std::chrono::seconds lifetime)
    : source_(std::move(source)), slot_(std::move(slot)), ends_at_(Clock::now() + lifetime), last_sent_(Clock::now()) {}

std::optional<std::string> JobEventStream::next() {
  if (finished_) return std::nullopt;
  const auto now = Clock::now();
  std::string out;
  if (!started_) {
    started_ = true;
    out += "retry: 2000\n\n";  // how long a client waits before it reconnects
  }
  auto job = source_.job();
  if (!job) {
    // The database and the cache are away: say nothing now, try again.
    if (now >= ends_at_) finished_ = true;
    return out;
  }
  const auto live = job->status == JobStatus::kRunning ? source_.live() : std::nullopt;
  const auto view = source_.render(*job, live);
  if (!status_ || *status_ != job->status) {
    status_ = job->status;
    out += event("status", ++event_id_, view);
  } else if (job->status == JobStatus::kRunning) {
    const auto& detail = live ? live : job->progress_detail;
    if (detail && detail->updated_at != progress_seen_) {
      progress_seen_ = detail->updated_at;
      out += event("progress", ++event_id_, view);
    }
  }
  if (is_terminal(job->status) || now >= ends_at_) finished_ = true;
  if (out.empty() && now - last_sent_ >= std::chrono::seconds(15)) out = ": keep-alive\n\n";
  if (!out.empty()) last_sent_ = now;
  return out;
}

}  // namespace st
