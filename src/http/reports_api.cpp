#include "http/reports_api.hpp"

#include <algorithm>
#include <atomic>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "http/jobs_api.hpp"
#include "http/query.hpp"
#include "util/json_fields.hpp"
#include "util/utf8.hpp"

namespace st {
namespace {

struct ReportRequest {
  ReportRange range;
  ReportGrouping grouping = ReportGrouping::kTenant;
};

// from, to and (for the summary) groupBy; anything else is refused by name.
Result<ReportRequest> parse_report_query(std::string_view query, bool grouped) {
  auto params = parse_query(query, 8, 64);
  if (!params) return tl::unexpected(params.error());
  std::string from;
  std::string to;
  std::string group_by = "tenant";
  std::vector<std::string> problems;
  for (const auto& [name, value] : *params) {
    if (name == "from") {
      from = value;
    } else if (name == "to") {
      to = value;
    } else if (name == "groupBy" && grouped) {
      group_by = value;
    } else {
      problems.push_back(fmt::format("{} is not a query parameter of this report", to_valid_utf8(name.substr(0, 64))));
    }
  }
  if (auto valid = FieldReader::verdict_of(problems); !valid) return tl::unexpected(valid.error());
  auto range = parse_report_range(from, to);
  if (!range) return tl::unexpected(range.error());
  const auto grouping = parse_report_grouping(group_by);
  if (!grouping) return fail(ErrorCode::kUsage, "groupBy must be tenant, day or profile");
  return ReportRequest{.range = std::move(*range), .grouping = *grouping};
}

// jobs.csv, a page of rows per chunk: the header first, then pages until one
// comes back short. A database failure midway ends the body early (the
// status line has gone): the client sees a body without its last rows and
// the log says why.
class FactsCsvStream final : public ResponseStream {
 public:
  FactsCsvStream(JobReports& reports, TenantScope scope, ReportRange range, int page_rows,
                 std::shared_ptr<std::atomic<int>> open)
      : reports_(reports),
        scope_(std::move(scope)),
        range_(std::move(range)),
        page_rows_(page_rows),
        open_(std::move(open)) {}
  FactsCsvStream(const FactsCsvStream&) = delete;
  FactsCsvStream& operator=(const FactsCsvStream&) = delete;
  ~FactsCsvStream() override { --*open_; }

  std::optional<std::string> next() override {
    if (done_) return std::nullopt;
    std::string chunk = header_sent_ ? std::string() : facts_csv_header();
    header_sent_ = true;
    auto page = reports_.facts(scope_, range_, after_, page_rows_);
    if (!page) {
      spdlog::warn("jobs.csv ended early: {}", page.error().message);
      done_ = true;
      return chunk.empty() ? std::nullopt : std::optional(chunk);
    }
    for (const auto& row : *page) chunk += to_csv_line(row);
    if (static_cast<int>(page->size()) < page_rows_) {
      done_ = true;
    } else {
      after_ = FactsPosition{.finished_at = page->back().finished_at, .job_id = page->back().job_id};
    }
    return chunk;
  }
  [[nodiscard]] std::chrono::milliseconds interval() const override { return std::chrono::milliseconds(0); }

 private:
  JobReports& reports_;
  TenantScope scope_;
  ReportRange range_;
  int page_rows_;
  std::shared_ptr<std::atomic<int>> open_;  // this stream holds one
  std::optional<FactsPosition> after_;
  bool header_sent_ = false;
  bool done_ = false;
};

}  // namespace

void add_report_routes(Router& router, JobReports& reports, ReportsApiOptions options) {
  router.add("GET", "/v1/reports/summary", Access::kViewer, [&reports](const HttpRequest& request) {
    auto query = parse_report_query(request.query, true);
    if (!query) return error_response(query.error());
    auto summary = reports.summary(scope_of(request), query->range, query->grouping);
    if (!summary) return error_response(summary.error());
    return json_response(200, to_json(*summary).dump());
  });
  auto open = std::make_shared<std::atomic<int>>(0);
  router.add("GET", "/v1/reports/jobs.csv", Access::kViewer, [&reports, options, open](const HttpRequest& request) {
    auto query = parse_report_query(request.query, false);
    if (!query) return error_response(query.error());
    if (++*open > options.max_csv_streams) {
      --*open;
      auto refused = problem(503, "Service Unavailable", "too many jobs.csv downloads are running; retry shortly");
      refused.headers["Retry-After"] = "5";
      return refused;
    }
    HttpResponse response;
    response.content_type = "text/csv; charset=utf-8; header=present";
    response.headers["Content-Disposition"] =
        fmt::format("attachment; filename=\"jobs-{}-{}.csv\"", query->range.from, query->range.to);
    response.stream = std::make_shared<FactsCsvStream>(reports, scope_of(request), std::move(query->range),
                                                       std::max(1, options.csv_page_rows), open);
    return response;
  });
}

}  // namespace st
