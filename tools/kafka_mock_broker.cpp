// kafka-mock-broker: a Kafka-protocol broker for development and tests.
//
// Debian has no Kafka broker package; librdkafka ships a mock cluster that
// speaks the Kafka protocol over TCP to any client (our service, kcat). This
// program hosts one on loopback and prints its bootstrap address.
//
//   kafka-mock-broker [--brokers N] [--topic NAME:PARTITIONS]... [--bootstrap-file PATH]
//
// Signals: SIGUSR1 takes every broker down, SIGUSR2 brings them back (outage
// tests); SIGINT or SIGTERM stops it.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

struct Options {
  int brokers = 1;
  std::vector<std::pair<std::string, int>> topics;
  std::string bootstrap_file;
};

bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--brokers" && has_value) {
      options.brokers = std::atoi(argv[++i]);
    } else if (arg == "--topic" && has_value) {
      const std::string spec = argv[++i];
      const auto colon = spec.find(':');
      options.topics.emplace_back(spec.substr(0, colon),
                                  colon == std::string::npos ? 1 : std::atoi(spec.c_str() + colon + 1));
    } else if (arg == "--bootstrap-file" && has_value) {
      options.bootstrap_file = argv[++i];
    } else {
      return false;
    }
  }
  return options.brokers >= 1;
}

void set_all(rd_kafka_mock_cluster_t* cluster, int brokers, bool up) {
  for (int id = 1; id <= brokers; ++id) {
    if (up) {
      rd_kafka_mock_broker_set_up(cluster, id);
    } else {
      rd_kafka_mock_broker_set_down(cluster, id);
    }
  }
  std::fprintf(stderr, "kafka-mock-broker: brokers %s\n", up ? "up" : "down");
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) {
    std::fprintf(stderr, "usage: %s [--brokers N] [--topic NAME:PARTITIONS]... [--bootstrap-file PATH]\n", argv[0]);
    return 2;
  }
  // Blocked before any librdkafka thread starts, so that only sigwait() below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  for (const int sig : {SIGINT, SIGTERM, SIGUSR1, SIGUSR2}) sigaddset(&signals, sig);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::array<char, 512> error{};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", error.data(), error.size());
  rd_kafka_t* host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error.data(), error.size());
  if (host == nullptr) {
    std::fprintf(stderr, "kafka-mock-broker: %s\n", error.data());
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(host, options.brokers);
  if (cluster == nullptr) {
    std::fprintf(stderr, "kafka-mock-broker: cannot create the mock cluster\n");
    return 1;
  }
  for (const auto& [name, partitions] : options.topics) {
    if (const auto err = rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, options.brokers > 2 ? 3 : 1)) {
      std::fprintf(stderr, "kafka-mock-broker: topic %s: %s\n", name.c_str(), rd_kafka_err2str(err));
      return 1;
    }
  }
  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  if (!options.bootstrap_file.empty()) {
    const auto temp = options.bootstrap_file + ".tmp";
    std::ofstream(temp) << bootstrap << "\n";
    std::rename(temp.c_str(), options.bootstrap_file.c_str());
  }
  std::printf("%s\n", bootstrap.c_str());
  std::fflush(stdout);

  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGUSR1) {
      set_all(cluster, options.brokers, false);
    } else if (sig == SIGUSR2) {
      set_all(cluster, options.brokers, true);
    } else {
      break;
    }
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(host);
  return 0;
}
