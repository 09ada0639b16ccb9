// The reports routes: GET /v1/reports/summary (JSON) and GET
// /v1/reports/jobs.csv (streamed page by page, never built whole), scoped to
// the caller's tenant (admins see every tenant).
#pragma once

#include "http/server.hpp"
#include "jobs/job_reports.hpp"

namespace st {

struct ReportsApiOptions {
  int csv_page_rows = 1000;  // rows read from the database per chunk of jobs.csv
  int max_csv_streams = 8;   // jobs.csv downloads at once; more get 503 with Retry-After
};

void add_report_routes(Router& router, JobReports& reports, ReportsApiOptions options = {});

}  // namespace st
