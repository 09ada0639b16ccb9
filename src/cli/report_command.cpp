#include "cli/report_command.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "app/config.hpp"
#include "db/pool.hpp"
#include "jobs/pg_job_reports.hpp"

namespace st {
namespace {

constexpr int kCsvPageRows = 1000;

}  // namespace

CLI::App* add_report_command(CLI::App& app, ReportArgs& args) {
  auto* cmd = app.add_subcommand("report", "Print a report of finished jobs (the database of the configuration)");
  cmd->add_option("--config", args.config_file, "JSON configuration file (ST_* variables override it)");
  cmd->add_option("--from", args.from, "Start of the range, UTC: 2026-12-01 or 2026-12-01T08:00:00Z")->required();
  cmd->add_option("--to", args.to, "End of the range (excluded), in the same forms")->required();
  cmd->add_option("--format", args.format, "json: the summary; csv: one row per job")
      ->check(CLI::IsMember({"json", "csv"}))
      ->capture_default_str();
  cmd->add_option("--group-by", args.group_by, "The summary's groups: tenant, day or profile")
      ->check(CLI::IsMember({"tenant", "day", "profile"}))
      ->capture_default_str();
  cmd->add_option("--tenant", args.tenant, "One tenant's jobs only");
  return cmd;
}

int run_report(const ReportArgs& args) {
  std::optional<std::filesystem::path> file;
  if (!args.config_file.empty()) file = args.config_file;
  auto config = Config::load(file, process_environment());
  if (!config) {
    fmt::print(stderr, "error: {}\n", config.error().message);
    return 2;
  }
  auto range = parse_report_range(args.from, args.to);
  if (!range) {
    fmt::print(stderr, "error: {}\n", range.error().message);
    return 2;
  }
  const auto scope = args.tenant.empty() ? TenantScope::all() : TenantScope::of(args.tenant);
  ConnectionPool pool(
      ConnectionPool::Options{.conninfo = config->database_conninfo(),
                              .max_size = 1,
                              .acquire_timeout = std::chrono::milliseconds(config->database.acquire_timeout_ms),
                              .on_connect = {},
                              .statement_timeout = std::chrono::milliseconds(config->database.statement_timeout_ms)});
  PgJobReports reports(pool);
  if (args.format == "json") {
    auto summary = reports.summary(scope, *range, *parse_report_grouping(args.group_by));
    if (!summary) {
      fmt::print(stderr, "error: {}\n", summary.error().message);
      return 1;
    }
    fmt::print("{}\n", to_json(*summary).dump(2));
    return 0;
  }
  // A page at a time, like the API: any range fits in memory.
  fmt::print("{}", facts_csv_header());
  std::optional<FactsPosition> after;
  for (;;) {
    auto page = reports.facts(scope, *range, after, kCsvPageRows);
    if (!page) {
      fmt::print(stderr, "error: {}\n", page.error().message);
      return 1;
    }
    for (const auto& row : *page) fmt::print("{}", to_csv_line(row));
    if (static_cast<int>(page->size()) < kCsvPageRows) break;
    after = FactsPosition{.finished_at = page->back().finished_at, .job_id = page->back().job_id};
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace st
