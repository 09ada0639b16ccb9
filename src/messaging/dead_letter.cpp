#include "messaging/dead_letter.hpp"

#include <chrono>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <librdkafka/rdkafkacpp.h>

namespace st {
namespace {

constexpr int kDeliveryTimeoutMs = 15000;

std::string now_iso8601() {
  const auto now = std::chrono::system_clock::now();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(now)));
}

}  // namespace

// The outcome of the one message in flight (publish() waits for it).
class DeadLetterPublisher::Reports final : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    outcome = message.err() == RdKafka::ERR_NO_ERROR ? 1 : -1;
    error = message.errstr();
  }
  int outcome = 0;  // 0 pending, 1 delivered, -1 failed; set and read on the publishing thread (poll)
  std::string error;
};

Result<std::unique_ptr<DeadLetterPublisher>> DeadLetterPublisher::create(const std::string& bootstrap_servers,
                                                                         std::string topic) {
  auto conf = make_kafka_conf({{"bootstrap.servers", bootstrap_servers},
                               {"enable.idempotence", "true"},  // a retried send never duplicates the dead letter
                               {"message.timeout.ms", std::to_string(kDeliveryTimeoutMs)},
                               {"linger.ms", "0"},  // one message at a time, waited for: do not batch
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

Result<void> DeadLetterPublisher::publish(const KafkaRecord& record, const std::string& reason) {
  auto* headers = RdKafka::Headers::create();
  for (const auto& [name, value] : record.headers) headers->add(name, value);
  headers->add("dead-letter-reason", reason);
  headers->add("dead-letter-source-topic", record.topic);
  headers->add("dead-letter-source-partition", std::to_string(record.partition));
  headers->add("dead-letter-source-offset", std::to_string(record.offset));
  headers->add("dead-letter-at", now_iso8601());
  headers->add("dead-letter-by", "stream-transcoding");

  reports_->outcome = 0;
  // The same key keeps the dead letters of one video in order on one partition.
  const auto err = producer_->produce(topic_, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                                      const_cast<char*>(record.value.data()), record.value.size(),
                                      record.key.empty() ? nullptr : record.key.data(), record.key.size(), 0, headers,
                                      nullptr);
  if (err != RdKafka::ERR_NO_ERROR) {
    delete headers;  // ownership passes to librdkafka only on success
    return fail(ErrorCode::kUnavailable, fmt::format("cannot queue the dead letter: {}", RdKafka::err2str(err)));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kDeliveryTimeoutMs + 5000);
  while (reports_->outcome == 0 && std::chrono::steady_clock::now() < deadline) producer_->poll(50);
  if (reports_->outcome != 1) {
    return fail(ErrorCode::kUnavailable, fmt::format("the dead letter for {}/{}@{} was not acknowledged: {}",
                                                     record.topic, record.partition, record.offset,
                                                     reports_->outcome == 0 ? "timed out" : reports_->error));
  }
  return {};
}

}  // namespace st
