#include "observability/collectors.hpp"

namespace st {
namespace {

prometheus::MetricFamily family(std::string name, std::string help, prometheus::MetricType type,
                                const std::vector<std::pair<MetricLabels, double>>& samples) {
  prometheus::MetricFamily f{.name = std::move(name), .help = std::move(help), .type = type, .metric = {}};
  for (const auto& [labels, value] : samples) {
    prometheus::ClientMetric m;
    for (const auto& [label, label_value] : labels) m.label.push_back({label, label_value});
    if (type == prometheus::MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
    f.metric.push_back(std::move(m));
  }
  return f;
}

}  // namespace

prometheus::MetricFamily counter_family(std::string name, std::string help, double value) {
  return family(std::move(name), std::move(help), prometheus::MetricType::Counter, {{{}, value}});
}

prometheus::MetricFamily gauge_family(std::string name, std::string help, double value) {
  return family(std::move(name), std::move(help), prometheus::MetricType::Gauge, {{{}, value}});
}

prometheus::MetricFamily gauge_family(std::string name, std::string help,
                                      const std::vector<std::pair<MetricLabels, double>>& samples) {
  return family(std::move(name), std::move(help), prometheus::MetricType::Gauge, samples);
}

prometheus::MetricFamily counter_family(std::string name, std::string help,
                                        const std::vector<std::pair<MetricLabels, double>>& samples) {
  return family(std::move(name), std::move(help), prometheus::MetricType::Counter, samples);
}

}  // namespace st
