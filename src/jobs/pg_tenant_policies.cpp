#include "jobs/pg_tenant_policies.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "db/transaction.hpp"

namespace st {
namespace {

constexpr const char* kPolicyColumns =
    "tenant_id, array_to_json(allowed_profiles)::text, top_rung, segment_seconds, preset, max_duration_seconds,"
    " max_width, max_height, max_frame_rate, max_queued, max_running, priority, requests_per_second, hdr_ladder,"
    " drm::text, quality_scores, ladder, bitrate_floor, bitrate_ceiling,"
    " to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";

TenantPolicy policy_from_row(const pqxx::row& row) {
  TenantPolicy p;
  int i = 0;
  p.tenant_id = row[i++].as<std::string>();
  if (!row[i].is_null()) {
    p.allowed_profiles = nlohmann::json::parse(row[i].as<std::string>()).get<std::vector<std::string>>();
  }
  ++i;
  p.top_rung = optional_field<std::string>(row[i++]);
  p.segment_seconds = optional_field<int>(row[i++]);
  p.preset = optional_field<std::string>(row[i++]);
  p.max_duration_seconds = optional_field<int>(row[i++]);
  p.max_width = optional_field<int>(row[i++]);
  p.max_height = optional_field<int>(row[i++]);
  p.max_frame_rate = optional_field<double>(row[i++]);
  p.max_queued = optional_field<int>(row[i++]);
  p.max_running = optional_field<int>(row[i++]);
  p.priority = optional_field<int>(row[i++]);
  p.requests_per_second = optional_field<double>(row[i++]);
  p.hdr_ladder = optional_field<bool>(row[i++]);
  const auto drm_text = optional_field<std::string>(row[i++]);
  p.quality_scores = optional_field<bool>(row[i++]);
  p.ladder = optional_field<std::string>(row[i++]);
  p.bitrate_floor = optional_field<double>(row[i++]);
  p.bitrate_ceiling = optional_field<double>(row[i++]);
  if (const auto& drm = drm_text) {
    // Written by put() from a checked policy; a row edited by hand into
    // something else reads as unset rather than failing every job.
    std::vector<std::string> problems;
    const auto parsed = nlohmann::json::parse(*drm, nullptr, false);
    if (!parsed.is_discarded()) p.drm = drm_policy_from_json(parsed, problems);
  }
  p.updated_at = row[i++].as<std::string>();
  return p;
}

}  // namespace

void PgTenantPolicies::prepare_statements(pqxx::connection& c) {
  c.prepare("policy_get", fmt::format("SELECT {} FROM tenant_policies WHERE tenant_id = $1", kPolicyColumns));
  // A PUT replaces the whole policy: a field left out goes back to the default.
  c.prepare("policy_put",
            fmt::format("INSERT INTO tenant_policies (tenant_id, allowed_profiles, top_rung, segment_seconds, preset,"
                        " max_duration_seconds, max_width, max_height, max_frame_rate, max_queued, max_running,"
                        " priority, requests_per_second, hdr_ladder, drm, quality_scores, ladder, bitrate_floor,"
                        " bitrate_ceiling)"
                        " VALUES ($1, CASE WHEN $2::json IS NULL THEN NULL ELSE ARRAY(SELECT"
                        " json_array_elements_text($2::json)) END, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
                        " $15::jsonb, $16, $17, $18, $19)"
                        " ON CONFLICT (tenant_id) DO UPDATE SET allowed_profiles = EXCLUDED.allowed_profiles,"
                        " top_rung = EXCLUDED.top_rung, segment_seconds = EXCLUDED.segment_seconds,"
                        " preset = EXCLUDED.preset, max_duration_seconds = EXCLUDED.max_duration_seconds,"
                        " max_width = EXCLUDED.max_width, max_height = EXCLUDED.max_height,"
                        " max_frame_rate = EXCLUDED.max_frame_rate, max_queued = EXCLUDED.max_queued,"
                        " max_running = EXCLUDED.max_running, priority = EXCLUDED.priority,"
                        " requests_per_second = EXCLUDED.requests_per_second, hdr_ladder = EXCLUDED.hdr_ladder,"
                        " drm = EXCLUDED.drm, quality_scores = EXCLUDED.quality_scores, ladder = EXCLUDED.ladder,"
                        " bitrate_floor = EXCLUDED.bitrate_floor, bitrate_ceiling = EXCLUDED.bitrate_ceiling,"
                        " updated_at = now()"
                        " RETURNING {}",
                        kPolicyColumns));
}

Result<TenantPolicy> PgTenantPolicies::get(const std::string& tenant_id) {
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<TenantPolicy> {
    pqxx::read_transaction tx(c);
    const auto rows = tx.exec_prepared("policy_get", tenant_id);
    if (rows.empty()) return TenantPolicy{.tenant_id = tenant_id};
    return policy_from_row(rows[0]);
  });
}

Result<TenantPolicy> PgTenantPolicies::put(const TenantPolicy& p) {
  std::optional<std::string> profiles;
  if (p.allowed_profiles) profiles = nlohmann::json(*p.allowed_profiles).dump();
  std::optional<std::string> drm;
  if (p.drm) drm = to_json(*p.drm).dump();
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<TenantPolicy> {
    pqxx::work tx(c);
    const auto rows = tx.exec_prepared("policy_put", p.tenant_id, profiles, p.top_rung, p.segment_seconds, p.preset,
                                       p.max_duration_seconds, p.max_width, p.max_height, p.max_frame_rate,
                                       p.max_queued, p.max_running, p.priority, p.requests_per_second, p.hdr_ladder,
                                       drm, p.quality_scores, p.ladder, p.bitrate_floor, p.bitrate_ceiling);
    tx.commit();
    return policy_from_row(rows[0]);
  });
}

}  // namespace st
