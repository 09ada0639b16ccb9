// Metrics read at scrape time from state the service keeps anyway (counters
// of the Kafka side, pools, the job queue in PostgreSQL): a Collectable that
// asks a function for its families whenever Prometheus scrapes.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace st {

class ScrapeCollector final : public prometheus::Collectable {
 public:
  using CollectFunction = std::function<std::vector<prometheus::MetricFamily>()>;
  explicit ScrapeCollector(CollectFunction collect) : collect_(std::move(collect)) {}
  [[nodiscard]] std::vector<prometheus::MetricFamily> Collect() const override { return collect_(); }

 private:
  CollectFunction collect_;
};

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// One family of one or more samples; `labels` of each sample in `samples`.
prometheus::MetricFamily counter_family(std::string name, std::string help, double value);
prometheus::MetricFamily gauge_family(std::string name, std::string help, double value);
prometheus::MetricFamily gauge_family(std::string name, std::string help,
                                      const std::vector<std::pair<MetricLabels, double>>& samples);
prometheus::MetricFamily counter_family(std::string name, std::string help,
                                        const std::vector<std::pair<MetricLabels, double>>& samples);

}  // namespace st
