// `stream-transcoding report`: the reports of GET /v1/reports/* straight from
// the database, for a cron job (every tenant; --tenant for one).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace st {

struct ReportArgs {
  std::string config_file;
  std::string from;
  std::string to;
  std::string format = "json";  // json: the summary; csv: a row per job
  std::string group_by = "tenant";
  std::string tenant;  // empty: every tenant
};

CLI::App* add_report_command(CLI::App& app, ReportArgs& args);

// Exit codes: 0 with the report on stdout, 1 when the database failed, 2 for bad arguments or configuration.
int run_report(const ReportArgs& args);

}  // namespace st
