#include "jobs/pg_job_reports.hpp"

#include <map>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "db/transaction.hpp"

namespace st {
namespace {

constexpr const char* kRange =
    "finished_at >= $1::timestamptz AND finished_at < $2::timestamptz AND ($3::text IS NULL OR tenant_id = $3)";

// The jobs of a range by tenant or UTC day (grouped by the date, turned into
// text once per group).
std::string jobs_statement(ReportGrouping grouping) {
  const bool by_day = grouping == ReportGrouping::kDay;
  return fmt::format(
      "SELECT {0}, count(*), count(*) FILTER (WHERE status = 'succeeded'),"
      " count(*) FILTER (WHERE status IN ('failed', 'dead')), count(*) FILTER (WHERE status = 'cancelled'),"
      " percentile_cont(0.5) WITHIN GROUP (ORDER BY latency), percentile_cont(0.95) WITHIN GROUP (ORDER BY latency),"
      " coalesce(sum(output_seconds) FILTER (WHERE status = 'succeeded'), 0),"
      " 60 * sum(cpu_seconds) FILTER (WHERE status = 'succeeded')"
      "   / nullif(sum(output_seconds) FILTER (WHERE status = 'succeeded'), 0),"
      " coalesce(sum(source_bytes), 0)::bigint, coalesce(sum(output_bytes), 0)::bigint"
      " FROM (SELECT {1} AS key, status, extract(epoch FROM finished_at - created_at) AS latency, output_seconds,"
      " cpu_seconds, source_bytes, output_bytes FROM job_facts WHERE {2}) f GROUP BY key ORDER BY key",
      by_day ? "to_char(key, 'YYYY-MM-DD')" : "key", by_day ? "(finished_at AT TIME ZONE 'UTC')::date" : "tenant_id",
      kRange);
}

// The renditions of a range, by `grouping` and rendition: whole UTC days from
// rendition_daily, the days the range only partly covers from the facts.
std::string renditions_statement(ReportGrouping grouping) {
  constexpr const char* kFirstDay =
      "((($1::timestamptz AT TIME ZONE 'UTC') + interval '1 day' - interval '1 microsecond')::date)";
  constexpr const char* kEndDay = "(($2::timestamptz AT TIME ZONE 'UTC')::date)";
  const auto first_start = fmt::format("({}::timestamp AT TIME ZONE 'UTC')", kFirstDay);
  const auto end_start = fmt::format("({}::timestamp AT TIME ZONE 'UTC')", kEndDay);
  const bool by_day = grouping == ReportGrouping::kDay;
  const char* key = grouping == ReportGrouping::kProfile ? "rendition" : by_day ? "day" : "tenant_id";
  return fmt::format(
      "SELECT {0}, rendition, sum(renditions)::bigint, sum(psnr_sum) / nullif(sum(psnr_count), 0),"
      " sum(ssim_sum) / nullif(sum(ssim_count), 0), sum(bit_rate_sum) / nullif(sum(bit_rate_count), 0), max(height),"
      " sum(output_seconds), 60 * sum(cpu_seconds) / nullif(sum(output_seconds), 0), sum(source_bytes)::bigint,"
      " sum(output_bytes)::bigint"
      " FROM (SELECT day, tenant_id, rendition, renditions, psnr_sum, psnr_count, ssim_sum, ssim_count,"
      "   bit_rate_sum, bit_rate_count, height, cpu_seconds, output_seconds, source_bytes, output_bytes"
      "   FROM rendition_daily WHERE day >= {2} AND day < {3} AND ($3::text IS NULL OR tenant_id = $3)"
      " UNION ALL"
      " SELECT (finished_at AT TIME ZONE 'UTC')::date, tenant_id, rendition, 1, coalesce(psnr, 0),"
      "   (psnr IS NOT NULL)::integer, coalesce(ssim, 0), (ssim IS NOT NULL)::integer, coalesce(average_bit_rate, 0),"
      "   (average_bit_rate IS NOT NULL)::integer, height, coalesce(cpu_seconds, 0), coalesce(output_seconds, 0),"
      "   coalesce(source_bytes, 0), coalesce(output_bytes, 0)"
      "   FROM rendition_facts WHERE ($3::text IS NULL OR tenant_id = $3) AND"
      "   ((finished_at >= $1::timestamptz AND finished_at < least({4}, $2::timestamptz)) OR"
      "    (finished_at >= greatest({5}, {4}) AND finished_at < $2::timestamptz))) parts"
      " GROUP BY {1}, rendition ORDER BY {1}, max(height) DESC NULLS LAST, rendition",
      by_day ? "to_char(day, 'YYYY-MM-DD')" : key, key, kFirstDay, kEndDay, first_start, end_start);
}

std::optional<std::string> tenant_of(const TenantScope& scope) {
  return scope.tenant;
}

}  // namespace

Result<ReportSummary> PgJobReports::summary(const TenantScope& scope, const ReportRange& range,
                                            ReportGrouping grouping) {
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<ReportSummary> {
    pqxx::read_transaction tx(c);
    ReportSummary out{.range = range, .grouping = grouping, .groups = {}};
    std::map<std::string, std::size_t> index;
    const bool by_profile = grouping == ReportGrouping::kProfile;
    if (!by_profile) {
      for (const auto& row : tx.exec_params(jobs_statement(grouping), range.from, range.to, tenant_of(scope))) {
        SummaryGroup g;
        int i = 0;
        g.key = row[i++].as<std::string>();
        g.jobs = row[i++].as<std::int64_t>();
        g.succeeded = row[i++].as<std::int64_t>();
        g.failed = row[i++].as<std::int64_t>();
        g.cancelled = row[i++].as<std::int64_t>();
        g.success_ratio = g.jobs > 0 ? static_cast<double>(g.succeeded) / static_cast<double>(g.jobs) : 0;
        g.p50_seconds = optional_field<double>(row[i++]);
        g.p95_seconds = optional_field<double>(row[i++]);
        g.output_seconds = row[i++].as<double>();
        g.cpu_seconds_per_output_minute = optional_field<double>(row[i++]);
        g.source_bytes = row[i++].as<std::int64_t>();
        g.output_bytes = row[i++].as<std::int64_t>();
        index.emplace(g.key, out.groups.size());
        out.groups.push_back(std::move(g));
      }
    }
    for (const auto& row : tx.exec_params(renditions_statement(grouping), range.from, range.to, tenant_of(scope))) {
      const auto key = row[0].as<std::string>();
      RungQuality rung{.rendition = row[1].as<std::string>(),
                       .renditions = row[2].as<std::int64_t>(),
                       .psnr = optional_field<double>(row[3]),
                       .ssim = optional_field<double>(row[4]),
                       .average_bit_rate = optional_field<double>(row[5])};
      if (by_profile) {
        // A rendition exists only for a job that succeeded; a job's time to
        // outcome is not the rung's, so it is not split by rung.
        SummaryGroup g{.key = key, .jobs = rung.renditions, .succeeded = rung.renditions, .success_ratio = 1};
        g.output_seconds = optional_field<double>(row[7]).value_or(0);
        g.cpu_seconds_per_output_minute = optional_field<double>(row[8]);
        g.source_bytes = optional_field<std::int64_t>(row[9]).value_or(0);
        g.output_bytes = optional_field<std::int64_t>(row[10]).value_or(0);
        g.quality.push_back(std::move(rung));
        out.groups.push_back(std::move(g));
        continue;
      }
      const auto group = index.find(key);
      if (group != index.end()) out.groups[group->second].quality.push_back(std::move(rung));
    }
    return out;
  });
}

Result<std::vector<JobFacts>> PgJobReports::facts(const TenantScope& scope, const ReportRange& range,
                                                  const std::optional<FactsPosition>& after, int limit) {
  static const std::string kStatement = fmt::format(
      "SELECT job_id::text, tenant_id, status::text,"
      " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
      " to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
      " attempts, coalesce(error_code, ''), source_bytes, output_bytes, output_seconds, fetch_seconds,"
      " encode_seconds, quality_seconds, publish_seconds, cpu_seconds, encode_speed, top.psnr, top.ssim"
      " FROM job_facts f LEFT JOIN LATERAL (SELECT psnr, ssim FROM rendition_facts r WHERE r.job_id = f.job_id"
      "   ORDER BY height DESC NULLS LAST LIMIT 1) top ON true"
      " WHERE {} AND ($4::timestamptz IS NULL OR (finished_at, job_id) > ($4::timestamptz, $5::uuid))"
      " ORDER BY f.finished_at, f.job_id LIMIT $6",
      kRange);
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<std::vector<JobFacts>> {
    pqxx::read_transaction tx(c);
    std::optional<std::string> after_time;
    std::optional<std::string> after_id;
    if (after) {
      after_time = after->finished_at;
      after_id = after->job_id;
    }
    std::vector<JobFacts> out;
    for (const auto& row :
         tx.exec_params(kStatement, range.from, range.to, tenant_of(scope), after_time, after_id, limit)) {
      JobFacts f;
      int i = 0;
      f.job_id = row[i++].as<std::string>();
      f.tenant_id = row[i++].as<std::string>();
      f.status = row[i++].as<std::string>();
      f.created_at = row[i++].as<std::string>();
      f.finished_at = row[i++].as<std::string>();
      f.attempts = row[i++].as<int>();
      f.error_code = row[i++].as<std::string>();
      f.source_bytes = optional_field<std::int64_t>(row[i++]);
      f.output_bytes = optional_field<std::int64_t>(row[i++]);
      f.output_seconds = optional_field<double>(row[i++]);
      f.fetch_seconds = optional_field<double>(row[i++]);
      f.encode_seconds = optional_field<double>(row[i++]);
      f.quality_seconds = optional_field<double>(row[i++]);
      f.publish_seconds = optional_field<double>(row[i++]);
      f.cpu_seconds = optional_field<double>(row[i++]);
      f.encode_speed = optional_field<double>(row[i++]);
      f.psnr = optional_field<double>(row[i++]);
      f.ssim = optional_field<double>(row[i++]);
      out.push_back(std::move(f));
    }
    return out;
  });
}

}  // namespace st
