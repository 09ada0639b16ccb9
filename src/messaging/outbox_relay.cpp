#include "messaging/outbox_relay.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <pqxx/pqxx>

#include "db/transaction.hpp"
#include "messaging/contracts.hpp"
#include "observability/tracing.hpp"
#include "util/thread_context.hpp"
#include "util/trace_context.hpp"

namespace st {
namespace {

// pg_try_advisory_xact_lock key of the relay round: "st-outbox" as a number.
constexpr std::int64_t kRelayLock = 0x73742d6f7574626fLL;

struct Row {
  std::int64_t seq = 0;
  std::string message_id;
  std::string topic;
  std::string key;
  std::string payload;
  std::string headers_json;
};

// An event about `job`, keyed by its video and correlated with its upload
// event (see video_transcoded_announcer in the header).
OutboxMessage event_about(const Job& job, std::string topic, std::string payload) {
  const auto& origin = job.spec.origin;
  const auto correlation = origin.correlation_id.empty() ? job.id : origin.correlation_id;
  OutboxMessage message{
      .topic = std::move(topic), .key = job.spec.video_id, .payload = std::move(payload), .headers = {}};
  // Written in the transaction that records the outcome, on the job's thread:
  // the event's context is a "create" span beneath the job's span (beneath the
  // upload's context when no span is current, as for a cancellation by API).
  Span create(fmt::format("create {}", message.topic), SpanKind::kProducer,
              this_thread_context().span ? this_thread_context().span : parse_traceparent(origin.traceparent));
  create.set("messaging.system", "kafka");
  create.set("messaging.operation.type", "create");
  create.set("messaging.destination.name", message.topic);
  message.headers = {{"Content-Type", kMassTransitContentType},
                     {"CorrelationId", correlation},
                     {"ConversationId", origin.conversation_id.empty() ? correlation : origin.conversation_id},
                     {"traceparent", create.context().to_string()}};
  if (!origin.message_id.empty()) message.headers.emplace_back("InitiatorId", origin.message_id);
  return message;
}

}  // namespace

OutcomeAnnouncer video_transcoded_announcer(std::string topic) {
  return [topic = std::move(topic)](const Job& job) { return event_about(job, topic, video_transcoded_json(job)); };
}

ProgressAnnouncer transcode_progress_announcer(std::string topic) {
  return [topic = std::move(topic)](const Job& job, const JobProgress& progress) {
    return event_about(job, topic, transcode_progress_json(job, progress));
  };
}

OutboxRelay::OutboxRelay(ConnectionPool& pool, OutboxRelayOptions options, MessagingCounters& counters)
    : pool_(pool), options_(std::move(options)), counters_(counters) {}

OutboxRelay::~OutboxRelay() {
  stop();
}

Result<void> OutboxRelay::start() {
  auto producer = BatchProducer::create(options_.bootstrap_servers,
                                        {{"client.id", "stream-transcoding-outbox"}, {"linger.ms", "5"}},
                                        options_.delivery_timeout, options_.close_timeout);
  if (!producer) return tl::unexpected(producer.error());
  producer_ = std::move(*producer);
  thread_ = std::jthread([this](const std::stop_token& stop) { loop(stop); });
  return {};
}

Result<void> OutboxRelay::check_broker(std::chrono::milliseconds timeout) {
  if (!producer_) return fail(ErrorCode::kUnavailable, "the outbox relay has not started");
  return producer_->check_broker(timeout);
}

void OutboxRelay::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    if (producer_) producer_->abandon();
    wakeup_.notify_all();
    thread_.join();
  }
  producer_.reset();
}

void OutboxRelay::loop(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    auto published = publish_round();
    if (!published) {
      spdlog::warn("outbox relay: {}", published.error().message);
    } else if (*published >= options_.batch) {
      continue;  // more may be waiting
    }
    std::unique_lock lock(mutex_);
    wakeup_.wait_for(lock, stop, options_.poll, [] { return false; });
  }
}

Result<int> OutboxRelay::publish_round() {
  return with_connection(pool_, [&](pqxx::connection& connection) -> Result<int> {
    std::vector<Row> rows;
    pqxx::work tx(connection);
    // Rows stay locked by this transaction until they are marked: one relay
    // round at a time in the whole cluster, so events go out in `seq` order.
    if (!tx.exec1(fmt::format("SELECT pg_try_advisory_xact_lock({})", kRelayLock))[0].as<bool>()) return 0;
    const auto result = tx.exec_params(
        "SELECT seq, message_id::text, topic, message_key, payload, headers::text FROM outbox"
        " WHERE sent_at IS NULL ORDER BY seq LIMIT $1",
        options_.batch);
    counters_.outbox_pending = static_cast<std::int64_t>(result.size());
    if (result.empty()) return 0;
    for (const auto& r : result) {
      rows.push_back({r[0].as<std::int64_t>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<std::string>(),
                      r[4].as<std::string>(), r[5].as<std::string>()});
    }

    std::vector<OutgoingMessage> messages;
    messages.reserve(rows.size());
    // One "send" span per event, beneath the context it was created with.
    std::vector<std::unique_ptr<Span>> spans;
    spans.reserve(rows.size());
    for (auto& row : rows) {
      OutgoingMessage message{.topic = row.topic, .key = row.key, .value = std::move(row.payload)};
      message.headers.emplace_back("MessageId", row.message_id);
      const auto stored = nlohmann::json::parse(row.headers_json);
      for (auto it = stored.begin(); it != stored.end(); ++it) {
        message.headers.emplace_back(it.key(),
                                     it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
      }
      std::optional<TraceParent> parent;
      for (const auto& [name, value] : message.headers) {
        if (name == "traceparent") parent = parse_traceparent(value);
      }
      auto& span = spans.emplace_back(
          std::make_unique<Span>(fmt::format("send {}", row.topic), SpanKind::kProducer, parent, Span::Detached{}));
      span->set("messaging.system", "kafka");
      span->set("messaging.operation.type", "send");
      span->set("messaging.destination.name", row.topic);
      span->set("messaging.message.id", row.message_id);
      messages.push_back(std::move(message));
    }
    const auto delivery = producer_->send(messages);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (!delivery.delivered[i]) spans[i]->set_error(delivery.last_error);
    }
    spans.clear();

    std::vector<std::int64_t> sent;
    std::vector<std::int64_t> failed;
    for (std::size_t i = 0; i < rows.size(); ++i) (delivery.delivered[i] ? sent : failed).push_back(rows[i].seq);
    auto as_array = [](const std::vector<std::int64_t>& seqs) { return fmt::format("{{{}}}", fmt::join(seqs, ",")); };
    if (!sent.empty()) {
      tx.exec_params("UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE seq = ANY($1::bigint[])",
                     as_array(sent));
    }
    if (!failed.empty()) {
      tx.exec_params("UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE seq = ANY($1::bigint[])",
                     as_array(failed), delivery.last_error);
    }
    tx.commit();
    counters_.published += static_cast<std::int64_t>(sent.size());
    counters_.publish_failures += static_cast<std::int64_t>(failed.size());
    counters_.outbox_pending -= static_cast<std::int64_t>(sent.size());
    if (!failed.empty()) {
      return fail(ErrorCode::kUnavailable, fmt::format("{} of {} event(s) not published, will retry: {}", failed.size(),
                                                       rows.size(), delivery.last_error));
    }
    return static_cast<int>(sent.size());
  });
}

}  // namespace st
