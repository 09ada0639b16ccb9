#include "messaging/dead_letter.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <librdkafka/rdkafkacpp.h>

namespace st {
namespace {

constexpr int kDeliveryTimeoutMs = 15000;
// The producer's message.max.bytes (Kafka's default): a dead letter must fit,
// however large the message that became one.
constexpr std::size_t kMaxMessageBytes = 1000000;
// What is kept of a value too large to republish whole: enough to see what it was.
constexpr std::size_t kTruncatedValueBytes = std::size_t{64} * 1024;
constexpr std::size_t kMaxReasonBytes = 1024;

std::size_t headers_size(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::size_t total = 0;
  for (const auto& [name, value] : headers) total += name.size() + value.size() + 16;
  return total;
}

std::string now_iso8601() {
  const auto now = std::chrono::system_clock::now();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(now)));
}

}  // namespace

// Counts the reports of the messages publish() waits for; a report of an
// earlier call that gave up waiting carries a stale generation and is ignored.
class DeadLetterPublisher::Reports final : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    if (reinterpret_cast<std::uintptr_t>(message.msg_opaque()) != generation) return;
    ++reported;
    if (message.err() != RdKafka::ERR_NO_ERROR) {
      ++failed;
      error = message.errstr();
    }
  }
  // Set and read on the publishing thread (librdkafka calls dr_cb from poll()).
  std::uintptr_t generation = 0;
  std::size_t reported = 0;
  std::size_t failed = 0;
  std::string error;
};

Result<std::unique_ptr<DeadLetterPublisher>> DeadLetterPublisher::create(const std::string& bootstrap_servers,
                                                                         std::string topic) {
  auto conf = make_kafka_conf({{"bootstrap.servers", bootstrap_servers},
                               {"enable.idempotence", "true"},  // a retried send never duplicates the dead letter
                               {"message.timeout.ms", std::to_string(kDeliveryTimeoutMs)},
                               {"message.max.bytes", std::to_string(kMaxMessageBytes)},
                               {"linger.ms", "1"},
                               {"client.id", "stream-transcoding-dead-letter"}});
  if (!conf) return tl::unexpected(conf.error());
  auto reports = std::make_unique<Reports>();
  std::string error;
  (*conf)->set("dr_cb", reports.get(), error);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf->get(), error));
  if (!producer) return fail(ErrorCode::kUnavailable, fmt::format("cannot create a Kafka producer: {}", error));
  return std::unique_ptr<DeadLetterPublisher>(
      new DeadLetterPublisher(std::move(reports), std::move(producer), std::move(topic)));
}

DeadLetterPublisher::DeadLetterPublisher(std::unique_ptr<Reports> reports, std::unique_ptr<RdKafka::Producer> producer,
                                         std::string topic)
    : reports_(std::move(reports)), producer_(std::move(producer)), topic_(std::move(topic)) {}

DeadLetterPublisher::~DeadLetterPublisher() {
  if (producer_) producer_->flush(5000);
}

Result<void> DeadLetterPublisher::publish(const std::vector<DeadLetter>& letters) {
  if (letters.empty()) return {};
  auto& r = *reports_;
  ++r.generation;
  r.reported = 0;
  r.failed = 0;
  r.error.clear();
  const auto at = now_iso8601();
  for (const auto& letter : letters) {
    const auto& record = *letter.record;
    auto* headers = RdKafka::Headers::create();
    // What does not fit is cut, and the headers say so: a dead letter that
    // cannot be published would block its partition forever.
    const auto budget = kMaxMessageBytes - std::size_t{4096};
    const bool keep_headers = headers_size(record.headers) + record.key.size() <= budget / 2;
    if (keep_headers) {
      for (const auto& [name, value] : record.headers) headers->add(name, value);
    } else {
      headers->add("dead-letter-headers-dropped", std::to_string(record.headers.size()));
    }
    const auto key_size = std::min(record.key.size(), budget / 4);
    const auto used = key_size + (keep_headers ? headers_size(record.headers) : 0);
    auto value_size = record.value.size();
    if (used + value_size > budget) {
      value_size = std::min(value_size, kTruncatedValueBytes);
      headers->add("dead-letter-truncated", "true");
      headers->add("dead-letter-original-bytes", std::to_string(record.value.size()));
    }
    headers->add("dead-letter-reason", letter.reason.substr(0, kMaxReasonBytes));
    headers->add("dead-letter-source-topic", record.topic);
    headers->add("dead-letter-source-partition", std::to_string(record.partition));
    headers->add("dead-letter-source-offset", std::to_string(record.offset));
    headers->add("dead-letter-at", at);
    headers->add("dead-letter-by", "stream-transcoding");
    // The same key keeps the dead letters of one video in order on one partition.
    const auto err = producer_->produce(
        topic_, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(record.value.data()),
        value_size, record.key.empty() ? nullptr : record.key.data(), key_size, 0, headers,
        reinterpret_cast<void*>(r.generation));  // NOLINT(performance-no-int-to-ptr): a tag, never dereferenced
    if (err != RdKafka::ERR_NO_ERROR) {
      delete headers;  // ownership passes to librdkafka only on success
      ++r.reported;
      ++r.failed;
      r.error = RdKafka::err2str(err);
    }
  }
  // Every message gets a report within message.timeout.ms, delivered or not.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kDeliveryTimeoutMs + 5000);
  while (r.reported < letters.size() && std::chrono::steady_clock::now() < deadline) producer_->poll(10);
  if (r.reported < letters.size() || r.failed > 0) {
    return fail(ErrorCode::kUnavailable,
                fmt::format("{} of {} dead letter(s) not acknowledged: {}", letters.size() - (r.reported - r.failed),
                            letters.size(), r.error.empty() ? "timed out" : r.error));
  }
  return {};
}

}  // namespace st
