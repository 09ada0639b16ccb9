#include "messaging/batch_producer.hpp"

#include <fmt/format.h>
#include <librdkafka/rdkafkacpp.h>

namespace st {

// The delivery reports of the batch in progress, by index. A report of an
// earlier batch that gave up waiting carries a stale generation: ignored.
class BatchProducer::Reports final : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    const auto tag = reinterpret_cast<std::uintptr_t>(message.msg_opaque());
    const auto index = tag & 0xFFFFFFFFU;
    if ((tag >> 32U) != (generation & 0xFFFFFFFFU) || index >= outcomes.size() || outcomes[index] != 0) return;
    outcomes[index] = message.err() == RdKafka::ERR_NO_ERROR ? 1 : -1;
    if (message.err() != RdKafka::ERR_NO_ERROR) last_error = message.errstr();
    ++reported;
  }
  void reset(std::size_t count) {
    ++generation;
    outcomes.assign(count, 0);
    reported = 0;
    last_error.clear();
  }
  [[nodiscard]] void* tag(std::size_t index) const {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a tag, never dereferenced
    return reinterpret_cast<void*>(((generation & 0xFFFFFFFFU) << 32U) | (index & 0xFFFFFFFFU));
  }
  // Used on the sending thread only: librdkafka calls dr_cb from poll().
  std::uintptr_t generation = 0;
  std::vector<int> outcomes;  // 0 pending, 1 delivered, -1 failed
  std::size_t reported = 0;
  std::string last_error;
};

Result<std::unique_ptr<BatchProducer>> BatchProducer::create(const std::string& bootstrap_servers,
                                                             KafkaSettings settings,
                                                             std::chrono::milliseconds delivery_timeout,
                                                             std::chrono::milliseconds close_timeout) {
  settings.insert(settings.begin(), {{"bootstrap.servers", bootstrap_servers},
                                     // Retries inside librdkafka never duplicate or reorder a message.
                                     {"enable.idempotence", "true"},
                                     {"message.timeout.ms", std::to_string(delivery_timeout.count())}});
  auto conf = make_kafka_conf(settings);
  if (!conf) return tl::unexpected(conf.error());
  auto reports = std::make_unique<Reports>();
  std::string error;
  (*conf)->set("dr_cb", reports.get(), error);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf->get(), error));
  if (!producer) return fail(ErrorCode::kUnavailable, fmt::format("cannot create a Kafka producer: {}", error));
  return std::unique_ptr<BatchProducer>(
      new BatchProducer(std::move(reports), std::move(producer), delivery_timeout, close_timeout));
}

BatchProducer::BatchProducer(std::unique_ptr<Reports> reports, std::unique_ptr<RdKafka::Producer> producer,
                             std::chrono::milliseconds delivery_timeout, std::chrono::milliseconds close_timeout)
    : reports_(std::move(reports)),
      producer_(std::move(producer)),
      delivery_timeout_(delivery_timeout),
      close_timeout_(close_timeout) {}

BatchProducer::~BatchProducer() {
  if (!producer_) return;
  // Bounded: an unreachable broker must not hold the process's exit. What is
  // dropped here was not acknowledged, so its outbox rows are sent again.
  if (producer_->flush(static_cast<int>(close_timeout_.count())) != RdKafka::ERR_NO_ERROR) {
    producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
    producer_->poll(0);
  }
}

Result<void> BatchProducer::check_broker(std::chrono::milliseconds timeout) {
  RdKafka::Metadata* raw = nullptr;
  const auto err = producer_->metadata(/*all_topics=*/false, nullptr, &raw, static_cast<int>(timeout.count()));
  const std::unique_ptr<RdKafka::Metadata> metadata(raw);
  if (err != RdKafka::ERR_NO_ERROR) {
    return fail(ErrorCode::kUnavailable, fmt::format("no broker answered: {}", RdKafka::err2str(err)));
  }
  return {};
}

BatchDelivery BatchProducer::send(const std::vector<OutgoingMessage>& messages) {
  auto& r = *reports_;
  r.reset(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    auto* headers = RdKafka::Headers::create();
    for (const auto& [name, value] : m.headers) headers->add(name, value);
    const auto err = producer_->produce(m.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                                        const_cast<char*>(m.value.data()), m.value.size(),
                                        m.key.empty() ? nullptr : m.key.data(), m.key.size(), 0, headers, r.tag(i));
    if (err != RdKafka::ERR_NO_ERROR) {
      delete headers;  // ownership passes to librdkafka only on success
      r.outcomes[i] = -1;
      ++r.reported;
      r.last_error = RdKafka::err2str(err);
    }
  }
  // Every message gets a report within message.timeout.ms, delivered or not.
  const auto deadline = std::chrono::steady_clock::now() + delivery_timeout_ + std::chrono::seconds(2);
  while (r.reported < messages.size() && std::chrono::steady_clock::now() < deadline && !abandoned_) {
    producer_->poll(10);
  }
  BatchDelivery delivery;
  delivery.delivered.reserve(messages.size());
  for (const auto outcome : r.outcomes) {
    delivery.delivered.push_back(outcome == 1);
    if (outcome != 1) ++delivery.failed;
  }
  delivery.last_error = r.last_error.empty() && delivery.failed > 0 ? "not acknowledged in time" : r.last_error;
  return delivery;
}

}  // namespace st
