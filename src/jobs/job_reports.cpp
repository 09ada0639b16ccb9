#include "jobs/job_reports.hpp"

#include <cctype>
#include <cmath>

#include <fmt/format.h>

namespace st {
namespace {

using nlohmann::json;

bool digits(std::string_view text, std::size_t at, std::size_t count) {
  for (std::size_t i = at; i < at + count; ++i) {
    if (i >= text.size() || std::isdigit(static_cast<unsigned char>(text[i])) == 0) return false;
  }
  return true;
}

// "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ", each field in range; PostgreSQL
// reads what passes without error.
bool is_utc_time(std::string_view text) {
  if (text.size() != 10 && text.size() != 20) return false;
  if (!digits(text, 0, 4) || text[4] != '-' || !digits(text, 5, 2) || text[7] != '-' || !digits(text, 8, 2)) {
    return false;
  }
  const auto number = [&](std::size_t at) { return (text[at] - '0') * 10 + (text[at + 1] - '0'); };
  const int year = std::stoi(std::string(text.substr(0, 4)));
  const int month = number(5);
  const int day = number(8);
  constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && day == 29 && !leap) return false;
  if (text.size() == 10) return true;
  return text[10] == 'T' && digits(text, 11, 2) && text[13] == ':' && digits(text, 14, 2) && text[16] == ':' &&
         digits(text, 17, 2) && text[19] == 'Z' && number(11) < 24 && number(14) < 60 && number(17) < 60;
}

// Either form, compared as the instant it names.
std::string sortable(std::string_view time) {
  return time.size() == 10 ? std::string(time) + "T00:00:00Z" : std::string(time);
}

json optional_number(const std::optional<double>& value, int digits) {
  if (!value || !std::isfinite(*value)) return nullptr;
  const double scale = std::pow(10.0, digits);
  return std::round(*value * scale) / scale;
}

// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (const char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

template <typename T>
std::string csv_number(const std::optional<T>& value) {
  if (!value) return {};
  if constexpr (std::is_floating_point_v<T>) return std::isfinite(*value) ? fmt::format("{:.3f}", *value) : "";
  return std::to_string(*value);
}

}  // namespace

std::string_view to_string(ReportGrouping grouping) {
  switch (grouping) {
    case ReportGrouping::kDay:
      return "day";
    case ReportGrouping::kProfile:
      return "profile";
    case ReportGrouping::kTenant:
      break;
  }
  return "tenant";
}

std::optional<ReportGrouping> parse_report_grouping(std::string_view text) {
  if (text == "tenant") return ReportGrouping::kTenant;
  if (text == "day") return ReportGrouping::kDay;
  if (text == "profile") return ReportGrouping::kProfile;
  return std::nullopt;
}

Result<ReportRange> parse_report_range(std::string_view from, std::string_view to) {
  for (const auto& [name, value] : {std::pair{"from", from}, std::pair{"to", to}}) {
    if (!is_utc_time(value)) {
      return fail(ErrorCode::kUsage,
                  fmt::format("{} must be a UTC date (2026-12-01) or time (2026-12-01T08:00:00Z)", name));
    }
  }
  if (sortable(from) >= sortable(to)) return fail(ErrorCode::kUsage, "from must be before to");
  return ReportRange{.from = std::string(from), .to = std::string(to)};
}

json to_json(const ReportSummary& summary) {
  json groups = json::array();
  for (const auto& g : summary.groups) {
    json quality = json::array();
    for (const auto& q : g.quality) {
      quality.push_back({{"rendition", q.rendition},
                         {"renditions", q.renditions},
                         {"psnr", optional_number(q.psnr, 2)},
                         {"ssim", optional_number(q.ssim, 5)},
                         {"averageBitRate", optional_number(q.average_bit_rate, 0)}});
    }
    groups.push_back({{"key", g.key},
                      {"jobs", g.jobs},
                      {"succeeded", g.succeeded},
                      {"failed", g.failed},
                      {"cancelled", g.cancelled},
                      {"successRatio", optional_number(g.success_ratio, 4)},
                      {"p50Seconds", optional_number(g.p50_seconds, 3)},
                      {"p95Seconds", optional_number(g.p95_seconds, 3)},
                      {"outputSeconds", optional_number(g.output_seconds, 3)},
                      {"cpuSecondsPerOutputMinute", optional_number(g.cpu_seconds_per_output_minute, 3)},
                      {"sourceBytes", g.source_bytes},
                      {"outputBytes", g.output_bytes},
                      {"quality", quality}});
  }
  return {{"from", summary.range.from},
          {"to", summary.range.to},
          {"groupBy", to_string(summary.grouping)},
          {"groups", groups}};
}

std::string facts_csv_header() {
  return "job_id,tenant_id,status,created_at,finished_at,attempts,error_code,source_bytes,output_bytes,"
         "output_seconds,fetch_seconds,encode_seconds,quality_seconds,publish_seconds,cpu_seconds,encode_speed,"
         "top_psnr,top_ssim\r\n";
}

std::string to_csv_line(const JobFacts& f) {
  return fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\r\n", csv_field(f.job_id),
                     csv_field(f.tenant_id), csv_field(f.status), csv_field(f.created_at), csv_field(f.finished_at),
                     f.attempts, csv_field(f.error_code), csv_number(f.source_bytes), csv_number(f.output_bytes),
                     csv_number(f.output_seconds), csv_number(f.fetch_seconds), csv_number(f.encode_seconds),
                     csv_number(f.quality_seconds), csv_number(f.publish_seconds), csv_number(f.cpu_seconds),
                     csv_number(f.encode_speed), csv_number(f.psnr), csv_number(f.ssim));
}

}  // namespace st
