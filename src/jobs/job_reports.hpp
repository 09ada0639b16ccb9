// Reports over finished jobs for the platform's Analytics service and for
// operators: a summary by tenant, day or rendition profile, and one row per
// job for batch reporting. Read from the facts a database trigger records
// when a job finishes (migration 0009); tenant-scoped like every other read.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "jobs/job_catalog.hpp"
#include "util/error.hpp"

namespace st {

enum class ReportGrouping { kTenant, kDay, kProfile };
std::string_view to_string(ReportGrouping grouping);

// A time range of finished jobs: [from, to), UTC, as "YYYY-MM-DD" or
// "YYYY-MM-DDTHH:MM:SSZ" (checked by parse_report_range()).
struct ReportRange {
  std::string from;
  std::string to;
};

// kUsage naming the problem for anything but the two forms above, or from >= to.
Result<ReportRange> parse_report_range(std::string_view from, std::string_view to);
std::optional<ReportGrouping> parse_report_grouping(std::string_view text);

struct RungQuality {
  std::string rendition;
  std::int64_t renditions = 0;  // encoded in the range
  std::optional<double> psnr;   // mean of the scored ones, dB
  std::optional<double> ssim;
  std::optional<double> average_bit_rate;
};

struct SummaryGroup {
  std::string key;  // the tenant, the day ("2026-12-02") or the rendition
  std::int64_t jobs = 0;
  std::int64_t succeeded = 0;
  std::int64_t failed = 0;  // failed or dead
  std::int64_t cancelled = 0;
  double success_ratio = 0;  // succeeded / jobs
  // From the upload event's arrival to the outcome.
  std::optional<double> p50_seconds;
  std::optional<double> p95_seconds;
  double output_seconds = 0;  // of the jobs that succeeded
  std::optional<double> cpu_seconds_per_output_minute;
  std::int64_t source_bytes = 0;
  std::int64_t output_bytes = 0;
  std::vector<RungQuality> quality;  // per rendition, largest first
};

struct ReportSummary {
  ReportRange range;
  ReportGrouping grouping = ReportGrouping::kTenant;
  std::vector<SummaryGroup> groups;
};

// One finished job's facts: a row of jobs.csv.
struct JobFacts {
  std::string job_id;
  std::string tenant_id;
  std::string status;
  std::string created_at;  // RFC 3339, UTC
  std::string finished_at;
  int attempts = 0;
  std::string error_code;
  std::optional<std::int64_t> source_bytes;
  std::optional<std::int64_t> output_bytes;
  std::optional<double> output_seconds;
  std::optional<double> fetch_seconds;
  std::optional<double> encode_seconds;
  std::optional<double> quality_seconds;
  std::optional<double> publish_seconds;
  std::optional<double> cpu_seconds;
  std::optional<double> encode_speed;
  std::optional<double> psnr;  // the top rendition's, when scored
  std::optional<double> ssim;
};

// Keyset position for reading jobs.csv page by page.
struct FactsPosition {
  std::string finished_at;
  std::string job_id;
};

class JobReports {
 public:
  virtual ~JobReports() = default;
  virtual Result<ReportSummary> summary(const TenantScope& scope, const ReportRange& range,
                                        ReportGrouping grouping) = 0;
  // Up to `limit` jobs finished in the range after `after`, oldest first.
  virtual Result<std::vector<JobFacts>> facts(const TenantScope& scope, const ReportRange& range,
                                              const std::optional<FactsPosition>& after, int limit) = 0;
};

nlohmann::json to_json(const ReportSummary& summary);

// jobs.csv (RFC 4180): the header line, and one line per job.
std::string facts_csv_header();
std::string to_csv_line(const JobFacts& facts);

}  // namespace st
