// JobReports on PostgreSQL: aggregates over job_facts and rendition_facts
// (migration 0009), whose indexes on the finish time keep a month of a
// million jobs under a second (docs/performance.md).
#pragma once

#include "db/pool.hpp"
#include "jobs/job_reports.hpp"

namespace st {

class PgJobReports final : public JobReports {
 public:
  explicit PgJobReports(ConnectionPool& pool) : pool_(pool) {}

  Result<ReportSummary> summary(const TenantScope& scope, const ReportRange& range, ReportGrouping grouping) override;
  Result<std::vector<JobFacts>> facts(const TenantScope& scope, const ReportRange& range,
                                      const std::optional<FactsPosition>& after, int limit) override;

 private:
  ConnectionPool& pool_;
};

}  // namespace st
