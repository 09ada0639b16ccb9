#include "messaging/upload_consumer.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <map>

#include <fmt/format.h>
#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include "messaging/contracts.hpp"
#include "observability/tracing.hpp"
#include "util/log.hpp"
#include "util/thread_context.hpp"
#include "util/trace_context.hpp"
#include "util/utf8.hpp"

namespace st {
namespace {

constexpr int kPollTimeoutMs = 200;
constexpr std::chrono::milliseconds kMaxBackoff{30000};
constexpr std::chrono::milliseconds kLagInterval{1000};

// MassTransit's headers and the trace context, kept with the job so that the
// outcome event answers in the same conversation and trace: the job's span
// is a child of the span that consumed the message (`consumed`), itself a
// child of the upload's traceparent.
JobOrigin origin_of(const KafkaRecord& record, const TraceParent& consumed) {
  return JobOrigin{.message_id = record.header("MessageId"),
                   .correlation_id = record.header("CorrelationId"),
                   .conversation_id = record.header("ConversationId"),
                   .traceparent = consumed.to_string()};
}

// The headers kept with a job must be text the database and the outcome event can carry.
constexpr std::size_t kMaxHeaderValueBytes = 256;
constexpr std::array<std::string_view, 4> kKeptHeaders = {"MessageId", "CorrelationId", "ConversationId",
                                                          "traceparent"};

Result<void> check_headers(const KafkaRecord& record) {
  for (const auto& [name, value] : record.headers) {
    if (std::find(kKeptHeaders.begin(), kKeptHeaders.end(), name) == kKeptHeaders.end()) continue;
    if (value.size() > kMaxHeaderValueBytes) {
      return fail(ErrorCode::kInvalidInput,
                  fmt::format("header {} has {} bytes, more than {}", name, value.size(), kMaxHeaderValueBytes));
    }
    if (!is_valid_utf8(value) || has_control_characters(value)) {
      return fail(ErrorCode::kInvalidInput, fmt::format("header {} is not printable UTF-8 text", name));
    }
  }
  return {};
}

std::string where(const KafkaRecord& record) {
  return fmt::format("{}/{}@{}", record.topic, record.partition, record.offset);
}

}  // namespace

// Applies incremental (cooperative) assignments, and notes the first one: see close_consumer().
class UploadConsumer::Rebalance final : public RdKafka::RebalanceCb {
 public:
  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    const bool cooperative = consumer->rebalance_protocol() == "COOPERATIVE";
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      if (cooperative) {
        consumer->incremental_assign(partitions);
      } else {
        consumer->assign(partitions);
      }
      assigned_once = true;
      spdlog::info("kafka: {} partition(s) assigned", partitions.size());
    } else {
      if (cooperative) {
        consumer->incremental_unassign(partitions);
      } else {
        consumer->unassign();
      }
      spdlog::info("kafka: {} partition(s) revoked", partitions.size());
    }
  }
  std::atomic<bool> assigned_once{false};
};

struct UploadConsumer::Pending {
  KafkaRecord record;
  bool done = false;  // its job exists or it was dead-lettered: not redone when the batch is retried
};

UploadConsumer::UploadConsumer(UploadConsumerOptions options, JobCatalog& catalog, MessagingCounters& counters)
    : config_(std::move(options)), store_(catalog), counters_(counters) {}

UploadConsumer::~UploadConsumer() {
  stop();
}

Result<void> UploadConsumer::start() {
  auto dead_letters = DeadLetterPublisher::create(config_.bootstrap_servers, config_.dead_letter_topic);
  if (!dead_letters) return tl::unexpected(dead_letters.error());
  dead_letters_ = std::move(*dead_letters);

  auto conf = make_kafka_conf({
      {"bootstrap.servers", config_.bootstrap_servers},
      {"group.id", config_.group_id},
      {"client.id", "stream-transcoding"},
      // Incremental rebalances: other members keep their partitions while one joins or leaves.
      {"partition.assignment.strategy", "cooperative-sticky"},
      // A member that died (SIGKILL, lost node) gives its partitions back after this.
      {"session.timeout.ms", std::to_string(config_.session_timeout_ms)},
      // Offsets are stored by hand, after the job rows exist; committing stored
      // offsets in the background is then safe.
      {"enable.auto.offset.store", "false"},
      {"enable.auto.commit", "true"},
      {"auto.offset.reset", "earliest"},
  });
  if (!conf) return tl::unexpected(conf.error());
  std::string error;
  rebalance_ = std::make_unique<Rebalance>();
  (*conf)->set("rebalance_cb", rebalance_.get(), error);
  consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), error));
  if (!consumer_) return fail(ErrorCode::kUnavailable, fmt::format("cannot create the Kafka consumer: {}", error));
  ensure_topics(*consumer_,
                {{config_.uploaded_topic, config_.partitions},
                 {config_.dead_letter_topic, config_.partitions},
                 {config_.transcoded_topic, config_.partitions}},
                std::chrono::milliseconds(5000));
  if (const auto err = consumer_->subscribe({config_.uploaded_topic}); err != RdKafka::ERR_NO_ERROR) {
    return fail(ErrorCode::kUnavailable,
                fmt::format("cannot subscribe to {}: {}", config_.uploaded_topic, RdKafka::err2str(err)));
  }
  thread_ = std::jthread([this](const std::stop_token& stop) {
    // No exception may end ingestion. Processing a batch cannot throw (see
    // poll_loop); this is the last line for the rest (librdkafka's C++ calls).
    while (!stop.stop_requested()) {
      try {
        poll_loop(stop);
      } catch (const std::exception& e) {
        spdlog::error("kafka: the consumer loop threw and restarts: {}", e.what());
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
    }
  });
  spdlog::info("consuming {} as group {}", config_.uploaded_topic, config_.group_id);
  return {};
}

void UploadConsumer::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  close_consumer();
  dead_letters_.reset();
}

void UploadConsumer::close_consumer() {
  if (!consumer_) return;
  // librdkafka 2.0 (Debian 12) aborts when a cooperative-sticky consumer is
  // destroyed before its first assignment (librdkafka#4312, fixed in 2.3): a
  // service stopped right after it started would crash. Wait for the group to
  // assign us (nothing read meanwhile is processed or stored: it is read again).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.close_timeout_ms);
  while (!rebalance_->assigned_once && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> ignored(consumer_->consume(kPollTimeoutMs));
  }
  if (!rebalance_->assigned_once) {
    // The group never formed (the broker is away): destroying would abort. The
    // process is stopping; its exit releases the handle.
    spdlog::warn("kafka: leaving the consumer group without closing: it never completed a join");
    static_cast<void>(consumer_.release());
    static_cast<void>(rebalance_.release());
    return;
  }
  // Commits the stored offsets and leaves the group, in librdkafka's
  // background: a broker that went away as we stop would hold a plain close()
  // for the coordinator's timeouts (11 s seen), past the bound we promise.
  const std::unique_ptr<RdKafka::Queue> events(RdKafka::Queue::create(consumer_.get()));
  const std::unique_ptr<RdKafka::Error> error(consumer_->close(events.get()));
  while (!error && !consumer_->closed() && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> ignored(events->consume(kPollTimeoutMs));  // serves the rebalance
  }
  if (error || !consumer_->closed()) {
    spdlog::warn(
        "kafka: leaving the consumer group without a clean close ({}): offsets not yet committed are read "
        "again by the next member",
        error ? error->str() : fmt::format("not closed within {} ms", config_.close_timeout_ms));
    static_cast<void>(consumer_.release());
    static_cast<void>(rebalance_.release());
    return;
  }
  consumer_.reset();
}

std::vector<KafkaRecord> UploadConsumer::next_batch() {
  std::vector<KafkaRecord> batch;
  int timeout = kPollTimeoutMs;
  while (batch.size() < static_cast<std::size_t>(config_.max_batch)) {
    std::unique_ptr<RdKafka::Message> message(consumer_->consume(timeout));
    if (!message || message->err() == RdKafka::ERR__TIMED_OUT) break;
    timeout = 0;  // after the first message, take only what has already arrived
    if (message->err() == RdKafka::ERR__PARTITION_EOF) continue;
    if (message->err() != RdKafka::ERR_NO_ERROR) {
      spdlog::warn("kafka: {}", message->errstr());
      break;
    }
    batch.push_back(record_of(*message));
  }
  counters_.consumed += static_cast<std::int64_t>(batch.size());
  return batch;
}

Result<NewJob> UploadConsumer::job_of(const KafkaRecord& record) const {
  // OpenTelemetry's messaging conventions: a consumer span per message
  // processed, a child of the producer's context when the message has a valid
  // one (parse_traceparent takes only an exact version-00 header; anything
  // else stays out of the trace).
  Span span(fmt::format("process {}", record.topic), SpanKind::kConsumer,
            parse_traceparent(record.header("traceparent")));
  span.set("messaging.system", "kafka");
  span.set("messaging.operation.type", "process");
  span.set("messaging.destination.name", record.topic);
  span.set("messaging.destination.partition.id", std::to_string(record.partition));
  span.set("messaging.kafka.offset", static_cast<std::int64_t>(record.offset));
  span.set("messaging.consumer.group.name", config_.group_id);
  auto job = [&]() -> Result<NewJob> {
    if (auto headers = check_headers(record); !headers) return tl::unexpected(headers.error());
    auto event = parse_video_uploaded(record.value, {.max_bytes = static_cast<std::size_t>(config_.max_message_bytes)});
    if (!event) return tl::unexpected(event.error());
    if (auto allowed = config_.sources.check(event->source); !allowed) return tl::unexpected(allowed.error());
    auto made = to_new_job(*event, config_.max_attempts);
    made.origin = origin_of(record, span.context());
    return made;
  }();
  if (job) {
    span.set("st.tenant.id", job->tenant_id);
    span.set("st.video.id", job->video_id);
  } else {
    span.set_error(job.error().message);
  }
  return job;
}

Result<void> UploadConsumer::give_up(std::vector<Pending>& batch, const Error& last_error) {
  std::vector<DeadLetter> letters;
  std::vector<Pending*> owners;
  const auto reason = fmt::format("not accepted within kafka.max_retry_seconds ({} s); last error: {}",
                                  config_.max_retry_seconds, last_error.message);
  for (auto& pending : batch) {
    if (pending.done) continue;
    letters.push_back({&pending.record, reason});
    owners.push_back(&pending);
  }
  if (auto published = dead_letters_->publish(letters); !published) return published;
  for (auto* owner : owners) {
    ++counters_.dead_lettered;
    spdlog::error("{} dead-lettered: {}", where(owner->record), reason);
    owner->done = true;
  }
  return {};
}

Result<void> UploadConsumer::process(std::vector<Pending>& batch) {
  std::vector<NewJob> jobs;
  std::vector<Pending*> owners;
  std::vector<DeadLetter> poison;
  std::vector<Pending*> poisoned;
  for (auto& pending : batch) {
    if (pending.done) continue;
    auto job = job_of(pending.record);
    if (!job) {
      poison.push_back({&pending.record, job.error().message});
      poisoned.push_back(&pending);
      continue;
    }
    jobs.push_back(std::move(*job));
    owners.push_back(&pending);
  }
  if (auto published = dead_letters_->publish(poison); !published) return tl::unexpected(published.error());
  for (std::size_t i = 0; i < poison.size(); ++i) {
    ++counters_.dead_lettered;
    spdlog::warn("{} dead-lettered: {}", where(*poison[i].record), poison[i].reason);
    poisoned[i]->done = true;
  }
  if (jobs.empty()) return {};

  auto record_created = [this](const CreatedJob& created, Pending& pending) {
    const auto& job = created.job;
    // Logged in the trace of the message that made it (the consumer span is its origin).
    const ThreadContextScope scope(
        ThreadContext{.log = {.job_id = job.id, .video_id = job.spec.video_id, .tenant_id = job.spec.tenant_id},
                      .span = parse_traceparent(job.spec.origin.traceparent),
                      .cpu = nullptr});
    if (created.created) {
      ++counters_.jobs_created;
      spdlog::info("job {} created from {}", job.id, where(pending.record));
    } else {
      ++counters_.duplicates;
      spdlog::info("{} is a redelivery: job {} already exists for this upload", where(pending.record), job.id);
    }
    pending.done = true;
  };

  auto created = store_.create_all(jobs);
  if (created) {
    for (std::size_t i = 0; i < created->size(); ++i) record_created((*created)[i], *owners[i]);
    return {};
  }
  if (!created.error().is_permanent()) return tl::unexpected(created.error());
  // The database refused one of them for good (a constraint the schema does not
  // express): find it, one at a time, and dead-letter it alone.
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    auto one = store_.create(jobs[i]);
    if (one) {
      record_created(*one, *owners[i]);
      continue;
    }
    if (!one.error().is_permanent()) return tl::unexpected(one.error());
    if (auto published = dead_letters_->publish({{&owners[i]->record, one.error().message}}); !published) {
      return tl::unexpected(published.error());
    }
    ++counters_.dead_lettered;
    spdlog::warn("{} dead-lettered: {}", where(owners[i]->record), one.error().message);
    owners[i]->done = true;
  }
  return {};
}

void UploadConsumer::wait_before_retry(std::chrono::milliseconds backoff, const std::stop_token& stop) {
  // Paused partitions keep this member in the group (it still polls) while the
  // batch waits in memory. A message that arrives anyway is not processed out of
  // order: its partition is rewound to it before resuming.
  std::vector<RdKafka::TopicPartition*> assigned;
  consumer_->assignment(assigned);
  consumer_->pause(assigned);
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> rewind;
  const auto until = std::chrono::steady_clock::now() + backoff;
  while (std::chrono::steady_clock::now() < until && !stop.stop_requested()) {
    std::unique_ptr<RdKafka::Message> stray(consumer_->consume(kPollTimeoutMs));
    if (stray && stray->err() == RdKafka::ERR_NO_ERROR) {
      const auto key = std::make_pair(stray->topic_name(), stray->partition());
      const auto it = rewind.find(key);
      if (it == rewind.end() || stray->offset() < it->second) rewind[key] = stray->offset();
    }
  }
  for (const auto& [partition, offset] : rewind) {
    std::unique_ptr<RdKafka::TopicPartition> tp(
        RdKafka::TopicPartition::create(partition.first, partition.second, offset));
    consumer_->seek(*tp, 1000);
  }
  consumer_->resume(assigned);
  RdKafka::TopicPartition::destroy(assigned);
}

void UploadConsumer::store_offsets(const std::vector<Pending>& batch) {
  // The stored offset is the next one to read: one past the highest done per partition.
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> next;
  for (const auto& pending : batch) {
    auto& offset = next[{pending.record.topic, pending.record.partition}];
    offset = std::max(offset, pending.record.offset + 1);
  }
  std::vector<RdKafka::TopicPartition*> offsets;
  offsets.reserve(next.size());
  for (const auto& [partition, offset] : next) {
    offsets.push_back(RdKafka::TopicPartition::create(partition.first, partition.second, offset));
  }
  if (const auto err = consumer_->offsets_store(offsets); err != RdKafka::ERR_NO_ERROR) {
    // A partition taken away by a rebalance: its new owner reads these events
    // again, and finds their jobs already there.
    spdlog::warn("cannot store consumed offsets: {}", RdKafka::err2str(err));
  }
  RdKafka::TopicPartition::destroy(offsets);
}

void UploadConsumer::update_lag() {
  std::vector<RdKafka::TopicPartition*> assigned;
  consumer_->assignment(assigned);
  consumer_->position(assigned);
  std::int64_t lag = 0;
  for (auto* tp : assigned) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    // Cached from fetch responses: no request to the broker.
    if (consumer_->get_watermark_offsets(tp->topic(), tp->partition(), &low, &high) != RdKafka::ERR_NO_ERROR) continue;
    const auto position = tp->offset() >= 0 ? tp->offset() : low;
    if (high > position) lag += high - position;
  }
  RdKafka::TopicPartition::destroy(assigned);
  counters_.consumer_lag = lag;
}

void UploadConsumer::poll_loop(const std::stop_token& stop) {
  auto next_lag_update = std::chrono::steady_clock::now();
  while (!stop.stop_requested()) {
    if (std::chrono::steady_clock::now() >= next_lag_update) {
      update_lag();
      next_lag_update = std::chrono::steady_clock::now() + kLagInterval;
    }
    auto records = next_batch();
    if (records.empty()) continue;
    std::vector<Pending> batch;
    batch.reserve(records.size());
    for (auto& record : records) batch.push_back({std::move(record)});

    auto backoff = std::chrono::milliseconds(config_.retry_backoff_ms);
    const auto give_up_at = std::chrono::steady_clock::now() + std::chrono::seconds(config_.max_retry_seconds);
    for (;;) {
      Result<void> processed;
      try {
        processed = process(batch);
      } catch (const std::exception& e) {
        // Nothing should throw here; if something does, it is retried within the
        // same bound as a refusal, never allowed to end the thread.
        processed = fail(ErrorCode::kInternal, fmt::format("processing the batch threw: {}", e.what()));
      }
      if (processed) break;
      if (stop.stop_requested()) return;  // nothing stored: the rest is read again after a restart
      if (std::chrono::steady_clock::now() >= give_up_at) {
        if (auto given_up = give_up(batch, processed.error()); given_up) break;
      }
      spdlog::warn("{} event(s) from {} not accepted yet, retrying in {} ms: {}", batch.size(), where(batch[0].record),
                   backoff.count(), processed.error().message);
      wait_before_retry(backoff, stop);
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
    store_offsets(batch);
  }
}

}  // namespace st
