#include "app/config.hpp"

#include "pipeline/encoder.hpp"
#include "pipeline/ladder.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include <curl/curl.h>
#include <fmt/format.h>
#include <boost/asio/ip/address.hpp>
#include <nlohmann/json.hpp>

#include "redis/redis_connection.hpp"
#include "storage/naming.hpp"
#include "util/json_bounds.hpp"
#include "util/utf8.hpp"

extern char** environ;

namespace st {
namespace {

using nlohmann::json;

// One configurable key: how to set it from text, and its section and name.
struct Field {
  std::string section;
  std::string key;
  std::function<std::optional<std::string>(const std::string&)> set;  // error text, or nullopt
};

std::function<std::optional<std::string>(const std::string&)> bind(int& target) {
  return [&target](const std::string& text) -> std::optional<std::string> {
    int value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size()) return fmt::format("'{}' is not a whole number", text);
    target = value;
    return std::nullopt;
  };
}
std::function<std::optional<std::string>(const std::string&)> bind(double& target) {
  return [&target](const std::string& text) -> std::optional<std::string> {
    try {
      std::size_t used = 0;
      const double value = std::stod(text, &used);
      if (used != text.size()) return fmt::format("'{}' is not a number", text);
      target = value;
      return std::nullopt;
    } catch (const std::exception&) {
      return fmt::format("'{}' is not a number", text);
    }
  };
}
std::function<std::optional<std::string>(const std::string&)> bind(std::string& target) {
  return [&target](const std::string& text) -> std::optional<std::string> {
    target = text;
    return std::nullopt;
  };
}

std::function<std::optional<std::string>(const std::string&)> bind(bool& target) {
  return [&target](const std::string& text) -> std::optional<std::string> {
    if (text == "true" || text == "1") {
      target = true;
    } else if (text == "false" || text == "0") {
      target = false;
    } else {
      return "must be true or false";
    }
    return std::nullopt;
  };
}

// A comma-separated list ("uploads,masters"); blanks around items are dropped.
std::function<std::optional<std::string>(const std::string&)> bind(std::vector<std::string>& target) {
  return [&target](const std::string& text) -> std::optional<std::string> {
    target.clear();
    std::size_t start = 0;
    while (start <= text.size()) {
      auto end = text.find(',', start);
      if (end == std::string::npos) end = text.size();
      auto item = text.substr(start, end - start);
      while (!item.empty() && item.front() == ' ') item.erase(0, 1);
      while (!item.empty() && item.back() == ' ') item.pop_back();
      if (!item.empty()) target.push_back(std::move(item));
      start = end + 1;
    }
    return std::nullopt;
  };
}

// A secret mounted as a file (Kubernetes Secrets): its first line replaces `target`.
void read_secret_file(const char* key, const std::string& file, std::string& target,
                      std::vector<std::string>& problems) {
  if (file.empty()) return;
  std::ifstream secret(file);
  if (!secret) {
    problems.push_back(fmt::format("{} {} cannot be read: {}", key, file, std::strerror(errno)));
  } else {
    std::getline(secret, target);
  }
}

std::vector<Field> fields_of(Config& c) {
  return {
      {"database", "url", bind(c.database.url)},
      {"database", "password", bind(c.database.password)},
      {"database", "password_file", bind(c.database.password_file)},
      {"database", "pool_size", bind(c.database.pool_size)},
      {"database", "acquire_timeout_ms", bind(c.database.acquire_timeout_ms)},
      {"database", "statement_timeout_ms", bind(c.database.statement_timeout_ms)},
      {"http", "host", bind(c.http.host)},
      {"http", "port", bind(c.http.port)},
      {"http", "max_connections", bind(c.http.max_connections)},
      {"http", "max_connections_per_client", bind(c.http.max_connections_per_client)},
      {"http", "read_timeout_ms", bind(c.http.read_timeout_ms)},
      {"http", "max_body_bytes", bind(c.http.max_body_bytes)},
      {"http", "max_header_bytes", bind(c.http.max_header_bytes)},
      {"http", "threads", bind(c.http.threads)},
      {"http", "handler_threads", bind(c.http.handler_threads)},
      {"worker", "concurrency", bind(c.worker.concurrency)},
      {"worker", "lease_seconds", bind(c.worker.lease_seconds)},
      {"worker", "heartbeat_seconds", bind(c.worker.heartbeat_seconds)},
      {"worker", "poll_ms", bind(c.worker.poll_ms)},
      {"worker", "reaper_interval_ms", bind(c.worker.reaper_interval_ms)},
      {"worker", "retry_base_ms", bind(c.worker.retry_base_ms)},
      {"worker", "retry_cap_ms", bind(c.worker.retry_cap_ms)},
      {"worker", "max_attempts", bind(c.worker.max_attempts)},
      {"worker", "shutdown_grace_seconds", bind(c.worker.shutdown_grace_seconds)},
      {"worker", "progress_publish_ms", bind(c.worker.progress_publish_ms)},
      {"worker", "progress_persist_seconds", bind(c.worker.progress_persist_seconds)},
      {"worker", "video_lock_seconds", bind(c.worker.video_lock_seconds)},
      {"worker", "video_locked_retry_ms", bind(c.worker.video_locked_retry_ms)},
      {"redis", "url", bind(c.redis.url)},
      {"redis", "password", bind(c.redis.password)},
      {"redis", "password_file", bind(c.redis.password_file)},
      {"redis", "key_prefix", bind(c.redis.key_prefix)},
      {"redis", "pool_size", bind(c.redis.pool_size)},
      {"redis", "connect_timeout_ms", bind(c.redis.connect_timeout_ms)},
      {"redis", "command_timeout_ms", bind(c.redis.command_timeout_ms)},
      {"redis", "retry_after_ms", bind(c.redis.retry_after_ms)},
      {"redis", "tls_ca_file", bind(c.redis.tls_ca_file)},
      {"redis", "tls_cert_file", bind(c.redis.tls_cert_file)},
      {"redis", "tls_key_file", bind(c.redis.tls_key_file)},
      {"redis", "tls_server_name", bind(c.redis.tls_server_name)},
      {"redis", "tls_verify", bind(c.redis.tls_verify)},
      {"redis", "status_cache_seconds", bind(c.redis.status_cache_seconds)},
      {"storage", "source_dir", bind(c.storage.source_dir)},
      {"storage", "output_dir", bind(c.storage.output_dir)},
      {"storage", "scratch_dir", bind(c.storage.scratch_dir)},
      {"storage", "output_prefix", bind(c.storage.output_prefix)},
      {"storage", "upload_concurrency", bind(c.storage.upload_concurrency)},
      {"storage", "scratch_min_free_mib", bind(c.storage.scratch_min_free_mib)},
      {"s3", "endpoint", bind(c.s3.endpoint)},
      {"s3", "region", bind(c.s3.region)},
      {"s3", "addressing", bind(c.s3.addressing)},
      {"s3", "output_bucket", bind(c.s3.output_bucket)},
      {"s3", "source_buckets", bind(c.s3.source_buckets)},
      {"s3", "access_key_id", bind(c.s3.access_key_id)},
      {"s3", "secret_access_key", bind(c.s3.secret_access_key)},
      {"s3", "secret_access_key_file", bind(c.s3.secret_access_key_file)},
      {"s3", "sts_endpoint", bind(c.s3.sts_endpoint)},
      {"s3", "part_size_mib", bind(c.s3.part_size_mib)},
      {"s3", "multipart_threshold_mib", bind(c.s3.multipart_threshold_mib)},
      {"s3", "transfer_concurrency", bind(c.s3.transfer_concurrency)},
      {"s3", "max_attempts", bind(c.s3.max_attempts)},
      {"transcode", "preset", bind(c.transcode.preset)},
      {"transcode", "segment_seconds", bind(c.transcode.segment_seconds)},
      {"transcode", "max_duration_seconds", bind(c.transcode.max_duration_seconds)},
      {"transcode", "max_width", bind(c.transcode.max_width)},
      {"transcode", "max_height", bind(c.transcode.max_height)},
      {"transcode", "max_frame_rate", bind(c.transcode.max_frame_rate)},
      {"transcode", "time_limit_factor", bind(c.transcode.time_limit_factor)},
      {"transcode", "time_limit_floor_seconds", bind(c.transcode.time_limit_floor_seconds)},
      {"transcode", "max_memory_mib", bind(c.transcode.max_memory_mib)},
      {"transcode", "max_output_file_mib", bind(c.transcode.max_output_file_mib)},
      {"transcode", "quality_scores", bind(c.transcode.quality_scores)},
      {"transcode", "quality_windows", bind(c.transcode.quality_windows)},
      {"transcode", "quality_window_seconds", bind(c.transcode.quality_window_seconds)},
      {"transcode", "ladder", bind(c.transcode.ladder)},
      {"transcode", "per_title_floor", bind(c.transcode.per_title_floor)},
      {"transcode", "per_title_ceiling", bind(c.transcode.per_title_ceiling)},
      {"kafka", "bootstrap_servers", bind(c.kafka.bootstrap_servers)},
      {"kafka", "group_id", bind(c.kafka.group_id)},
      {"kafka", "uploaded_topic", bind(c.kafka.uploaded_topic)},
      {"kafka", "dead_letter_topic", bind(c.kafka.dead_letter_topic)},
      {"kafka", "transcoded_topic", bind(c.kafka.transcoded_topic)},
      {"kafka", "progress_topic", bind(c.kafka.progress_topic)},
      {"kafka", "retry_backoff_ms", bind(c.kafka.retry_backoff_ms)},
      {"kafka", "partitions", bind(c.kafka.partitions)},
      {"kafka", "max_batch", bind(c.kafka.max_batch)},
      {"kafka", "session_timeout_ms", bind(c.kafka.session_timeout_ms)},
      {"kafka", "close_timeout_ms", bind(c.kafka.close_timeout_ms)},
      {"kafka", "outbox_poll_ms", bind(c.kafka.outbox_poll_ms)},
      {"kafka", "outbox_batch", bind(c.kafka.outbox_batch)},
      {"kafka", "max_message_bytes", bind(c.kafka.max_message_bytes)},
      {"kafka", "max_retry_seconds", bind(c.kafka.max_retry_seconds)},
      {"drm", "key_provider", bind(c.drm.key_provider)},
      {"drm", "static_keys", bind(c.drm.static_keys)},
      {"drm", "static_keys_file", bind(c.drm.static_keys_file)},
      {"drm", "speke_url", bind(c.drm.speke_url)},
      {"drm", "speke_sigv4", bind(c.drm.speke_sigv4)},
      {"drm", "speke_region", bind(c.drm.speke_region)},
      {"drm", "speke_timeout_ms", bind(c.drm.speke_timeout_ms)},
      {"drm", "scheme", bind(c.drm.scheme)},
      {"drm", "systems", bind(c.drm.systems)},
      {"drm", "video_keys", bind(c.drm.video_keys)},
      {"drm", "clear_lead_seconds", bind(c.drm.clear_lead_seconds)},
      {"drm", "packager", bind(c.drm.packager)},
      {"drm", "clearkey_license_url", bind(c.drm.clearkey_license_url)},
      {"drm", "fairplay_key_uri", bind(c.drm.fairplay_key_uri)},
      {"drm", "aes128_key_uri", bind(c.drm.aes128_key_uri)},
      {"auth", "enabled", bind(c.auth.enabled)},
      {"auth", "development", bind(c.auth.development)},
      {"auth", "development_tenant", bind(c.auth.development_tenant)},
      {"auth", "jwks_url", bind(c.auth.jwks_url)},
      {"auth", "jwks_file", bind(c.auth.jwks_file)},
      {"auth", "jwks_min_refresh_seconds", bind(c.auth.jwks_min_refresh_seconds)},
      {"auth", "jwks_timeout_ms", bind(c.auth.jwks_timeout_ms)},
      {"auth", "issuer", bind(c.auth.issuer)},
      {"auth", "audience", bind(c.auth.audience)},
      {"auth", "algorithms", bind(c.auth.algorithms)},
      {"auth", "leeway_seconds", bind(c.auth.leeway_seconds)},
      {"auth", "tenant_claim", bind(c.auth.tenant_claim)},
      {"api", "cursor_key", bind(c.api.cursor_key)},
      {"api", "cursor_key_file", bind(c.api.cursor_key_file)},
      {"api", "max_page_size", bind(c.api.max_page_size)},
      {"api", "subject_requests_per_second", bind(c.api.subject_requests_per_second)},
      {"api", "subject_burst", bind(c.api.subject_burst)},
      {"api", "tenant_requests_per_second", bind(c.api.tenant_requests_per_second)},
      {"api", "tenant_burst", bind(c.api.tenant_burst)},
      {"api", "swagger_ui_dir", bind(c.api.swagger_ui_dir)},
      {"api", "max_event_streams", bind(c.api.max_event_streams)},
      {"api", "event_stream_max_seconds", bind(c.api.event_stream_max_seconds)},
      {"metrics", "enabled", bind(c.metrics.enabled)},
      {"otel", "endpoint", bind(c.otel.endpoint)},
      {"otel", "sample_ratio", bind(c.otel.sample_ratio)},
      {"otel", "service_name", bind(c.otel.service_name)},
      {"otel", "export_timeout_ms", bind(c.otel.export_timeout_ms)},
      {"otel", "export_interval_ms", bind(c.otel.export_interval_ms)},
      {"otel", "max_queue", bind(c.otel.max_queue)},
      {"otel", "max_batch", bind(c.otel.max_batch)},
      {"otel", "health_timeout_ms", bind(c.otel.health_timeout_ms)},
      {"log", "level", bind(c.log.level)},
      {"log", "format", bind(c.log.format)},
  };
}

std::string env_name(const Field& f) {
  std::string name = "ST_" + f.section + "__" + f.key;
  for (auto& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return name;
}

// A file's value as the text an environment variable would hold: a list may
// be a JSON array of strings.
std::optional<std::string> text_of(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_boolean()) return value.dump();
  if (value.is_array()) {
    std::string joined;
    for (const auto& item : value) {
      if (!item.is_string()) return std::nullopt;
      joined += (joined.empty() ? "" : ",") + item.get<std::string>();
    }
    return joined;
  }
  return std::nullopt;
}

// Edit distance, for "did you mean": keys are short, so the quadratic table is fine.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const auto above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The closest of `candidates` to `name`, if it is close enough to be a typo.
std::optional<std::string> closest(std::string_view name, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(2, name.size() / 4) + 1;
  for (const auto& candidate : candidates) {
    const auto distance = edit_distance(name, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates) {
  const auto match = closest(name, candidates);
  return match ? fmt::format("; did you mean {}?", *match) : std::string();
}

std::string without_underscores(std::string_view name) {
  std::string out;
  for (const char c : name) {
    if (c != '_') out.push_back(c);
  }
  return out;
}

// libpq's own parser decides what is a connection string: "notaurl" fails
// here, at start, not at the first connection.
void check_database_url(const std::string& url, std::vector<std::string>& problems) {
  if (url.empty()) return;
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    std::string why = error != nullptr ? error : "it cannot be parsed";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    problems.push_back(fmt::format("database.url is not a PostgreSQL URI or connection string: {}", why));
  } else {
    PQconninfoFree(options);
  }
  if (error != nullptr) PQfreemem(error);
}

// An http(s) URL with a host, as curl (which sends the requests) reads it.
void check_http_url(const char* key, const std::string& url, std::vector<std::string>& problems) {
  if (url.empty()) return;
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    problems.push_back(fmt::format("{} '{}' must start with http:// or https://", key, url));
    return;
  }
  CURLU* handle = curl_url();
  char* host = nullptr;
  const bool parsed = handle != nullptr && curl_url_set(handle, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
                      curl_url_get(handle, CURLUPART_HOST, &host, 0) == CURLUE_OK && host != nullptr && *host != '\0';
  if (!parsed) problems.push_back(fmt::format("{} '{}' is not a valid URL", key, url));
  if (host != nullptr) curl_free(host);
  if (handle != nullptr) curl_url_cleanup(handle);
}

// "host:port[,host:port...]", as librdkafka takes bootstrap.servers.
void check_bootstrap_servers(const std::string& servers, std::vector<std::string>& problems) {
  if (servers.empty()) return;
  std::size_t start = 0;
  while (start <= servers.size()) {
    auto end = servers.find(',', start);
    if (end == std::string::npos) end = servers.size();
    auto server = std::string_view(servers).substr(start, end - start);
    if (const auto scheme = server.find("://"); scheme != std::string_view::npos) server.remove_prefix(scheme + 3);
    const auto colon = server.rfind(':');
    int port = 0;
    const bool has_port = colon != std::string_view::npos && colon > 0 &&
                          std::from_chars(server.data() + colon + 1, server.data() + server.size(), port).ptr ==
                              server.data() + server.size() &&
                          port > 0 && port <= 65535;
    if (!has_port) {
      problems.push_back(fmt::format("kafka.bootstrap_servers: '{}' is not host:port", server));
    }
    start = end + 1;
  }
}

void check_range(std::vector<std::string>& problems, const char* name, double value, double low, double high) {
  // NaN compares false with everything: it would pass a plain range check.
  if (!std::isfinite(value) || value < low || value > high)
    problems.push_back(fmt::format("{} must be between {} and {} (is {})", name, low, high, value));
}

void check_redis(const RedisConfig& r, std::vector<std::string>& problems) {
  if (!r.url.empty()) {
    if (auto endpoint = parse_redis_url(r.url); !endpoint) {
      // The URL may hold a password: quote only what parsing said.
      problems.push_back(fmt::format("redis.url {}", endpoint.error().message));
    } else if (!endpoint->tls && (!r.tls_ca_file.empty() || !r.tls_cert_file.empty())) {
      problems.emplace_back("redis.tls_* files are set but redis.url is not rediss:// (TLS)");
    }
  }
  if (r.tls_cert_file.empty() != r.tls_key_file.empty()) {
    problems.emplace_back("redis.tls_cert_file and redis.tls_key_file go together");
  }
  if (r.key_prefix.size() > 64) problems.emplace_back("redis.key_prefix is longer than 64 characters");
  check_range(problems, "redis.pool_size", r.pool_size, 1, 1024);
  check_range(problems, "redis.connect_timeout_ms", r.connect_timeout_ms, 10, 60000);
  check_range(problems, "redis.command_timeout_ms", r.command_timeout_ms, 10, 60000);
  check_range(problems, "redis.retry_after_ms", r.retry_after_ms, 10, 600000);
  check_range(problems, "redis.status_cache_seconds", r.status_cache_seconds, 1, 86400);
}

void check_drm(const DrmConfig& d, std::vector<std::string>& problems) {
  if (d.key_provider != "none" && d.key_provider != "static" && d.key_provider != "speke") {
    problems.push_back(fmt::format("drm.key_provider must be none, static or speke (is '{:.20}')", d.key_provider));
  }
  if (!parse_protection_scheme(d.scheme)) {
    problems.push_back(fmt::format("drm.scheme must be none, cenc, cbcs or aes-128 (is '{:.20}')", d.scheme));
  }
  for (const auto& system : d.systems) {
    if (!parse_drm_system(system)) {
      problems.push_back(fmt::format("drm.systems: '{:.20}' is not widevine, playready, fairplay or clearkey", system));
    }
  }
  if (d.video_keys != "shared" && d.video_keys != "per-resolution") {
    problems.emplace_back("drm.video_keys must be shared or per-resolution");
  }
  check_range(problems, "drm.clear_lead_seconds", d.clear_lead_seconds, 0, 60);
  check_range(problems, "drm.speke_timeout_ms", d.speke_timeout_ms, 100, 120000);
  if (d.key_provider == "speke") check_http_url("drm.speke_url", d.speke_url, problems);
  if (d.key_provider == "speke" && d.speke_url.empty())
    problems.emplace_back("drm.key_provider speke needs drm.speke_url");
  if (d.key_provider == "static" && d.static_keys.empty() && d.static_keys_file.empty()) {
    problems.emplace_back(
        "drm.key_provider static needs drm.static_keys (ST_DRM__STATIC_KEYS) or drm.static_keys_file");
  }
  if (!d.clearkey_license_url.empty()) check_http_url("drm.clearkey_license_url", d.clearkey_license_url, problems);
  const auto policy = drm_policy(d);
  if (policy.encrypts()) {
    if (auto valid = policy.validate(); !valid) problems.push_back("drm: " + valid.error().message);
    if (d.key_provider == "none") problems.emplace_back("drm.scheme encrypts but drm.key_provider is none");
  }
}

void validate(const Config& c, std::vector<std::string>& problems) {
  check_drm(c.drm, problems);
  check_range(problems, "auth.jwks_min_refresh_seconds", c.auth.jwks_min_refresh_seconds, 1, 86400);
  check_range(problems, "auth.jwks_timeout_ms", c.auth.jwks_timeout_ms, 100, 60000);
  check_range(problems, "auth.leeway_seconds", c.auth.leeway_seconds, 0, 600);
  check_range(problems, "api.max_page_size", c.api.max_page_size, 1, 1000);
  check_range(problems, "api.subject_requests_per_second", c.api.subject_requests_per_second, 0.01, 1e6);
  check_range(problems, "api.subject_burst", c.api.subject_burst, 1, 1000000);
  check_range(problems, "api.tenant_requests_per_second", c.api.tenant_requests_per_second, 0.01, 1e6);
  check_range(problems, "api.tenant_burst", c.api.tenant_burst, 1, 1000000);
  if (c.database.url.empty()) problems.emplace_back("database.url is required (ST_DATABASE__URL)");
  check_database_url(c.database.url, problems);
  check_range(problems, "database.statement_timeout_ms", c.database.statement_timeout_ms, 0, 3600000);
  if (boost::system::error_code ec; !c.http.host.empty()) {
    boost::asio::ip::make_address(c.http.host, ec);
    if (ec) problems.push_back(fmt::format("http.host '{}' is not an IP address", c.http.host));
  }
  check_range(problems, "http.max_connections_per_client", c.http.max_connections_per_client, 1, 100000);
  check_range(problems, "http.max_header_bytes", c.http.max_header_bytes, 1024, 1024 * 1024);
  check_range(problems, "http.handler_threads", c.http.handler_threads, 1, 256);
  check_range(problems, "storage.scratch_min_free_mib", c.storage.scratch_min_free_mib, 0, 1 << 24);
  check_range(problems, "transcode.time_limit_factor", c.transcode.time_limit_factor, 1, 1000);
  check_range(problems, "transcode.time_limit_floor_seconds", c.transcode.time_limit_floor_seconds, 10, 7 * 86400);
  check_range(problems, "transcode.max_memory_mib", c.transcode.max_memory_mib, 256, 1 << 24);
  check_range(problems, "transcode.max_output_file_mib", c.transcode.max_output_file_mib, 1, 1 << 24);
  check_range(problems, "kafka.max_message_bytes", c.kafka.max_message_bytes, 1024, 16 * 1024 * 1024);
  check_range(problems, "kafka.max_retry_seconds", c.kafka.max_retry_seconds, 1, 7 * 86400);
  check_bootstrap_servers(c.kafka.bootstrap_servers, problems);
  check_http_url("s3.sts_endpoint", c.s3.sts_endpoint, problems);
  for (const auto& bucket : c.s3.source_buckets) {
    if (!is_valid_bucket_name(bucket)) {
      problems.push_back(fmt::format("s3.source_buckets: '{}' is not a valid bucket name", bucket));
    }
  }
  check_range(problems, "database.pool_size", c.database.pool_size, 1, 1000);
  check_range(problems, "database.acquire_timeout_ms", c.database.acquire_timeout_ms, 1, 600000);
  check_range(problems, "http.port", c.http.port, 0, 65535);
  check_range(problems, "http.max_connections", c.http.max_connections, 1, 100000);
  check_range(problems, "http.read_timeout_ms", c.http.read_timeout_ms, 10, 600000);
  check_range(problems, "http.max_body_bytes", c.http.max_body_bytes, 1024, 64 * 1024 * 1024);
  check_range(problems, "http.threads", c.http.threads, 1, 64);
  check_range(problems, "worker.concurrency", c.worker.concurrency, 0, 256);
  check_range(problems, "worker.lease_seconds", c.worker.lease_seconds, 1, 3600);
  check_range(problems, "worker.heartbeat_seconds", c.worker.heartbeat_seconds, 1, 3600);
  if (c.worker.heartbeat_seconds * 2 > c.worker.lease_seconds) {
    problems.push_back(
        fmt::format("worker.heartbeat_seconds ({}) must be at most half of worker.lease_seconds ({}), "
                    "or leases expire between heartbeats",
                    c.worker.heartbeat_seconds, c.worker.lease_seconds));
  }
  check_range(problems, "worker.poll_ms", c.worker.poll_ms, 10, 600000);
  check_range(problems, "worker.reaper_interval_ms", c.worker.reaper_interval_ms, 10, 600000);
  check_range(problems, "worker.retry_base_ms", c.worker.retry_base_ms, 1, 86400000);
  check_range(problems, "worker.retry_cap_ms", c.worker.retry_cap_ms, c.worker.retry_base_ms, 86400000);
  check_range(problems, "worker.max_attempts", c.worker.max_attempts, 1, 100);
  check_range(problems, "worker.shutdown_grace_seconds", c.worker.shutdown_grace_seconds, 0, 86400);
  check_range(problems, "transcode.segment_seconds", c.transcode.segment_seconds, 1, 30);
  check_range(problems, "transcode.quality_windows", c.transcode.quality_windows, 1, 100);
  check_range(problems, "transcode.quality_window_seconds", c.transcode.quality_window_seconds, 0.1, 30.0);
  if (!ladder_mode_from_string(c.transcode.ladder)) {
    problems.push_back(fmt::format("transcode.ladder '{}' is neither fixed nor per-title", c.transcode.ladder));
  }
  check_range(problems, "transcode.per_title_floor", c.transcode.per_title_floor, 0.01, 1.0);
  check_range(problems, "transcode.per_title_ceiling", c.transcode.per_title_ceiling, 0.1, 2.0);
  if (c.transcode.per_title_floor > c.transcode.per_title_ceiling) {
    problems.emplace_back("transcode.per_title_floor is above transcode.per_title_ceiling");
  }
  if (!is_known_preset(c.transcode.preset)) {
    problems.push_back(fmt::format("transcode.preset '{}' is not an x264 preset", c.transcode.preset));
  }
  check_range(problems, "storage.upload_concurrency", c.storage.upload_concurrency, 1, 256);
  if (!c.s3.endpoint.empty()) {
    check_http_url("s3.endpoint", c.s3.endpoint, problems);
    if (c.s3.output_bucket.empty()) problems.emplace_back("s3.output_bucket is required with s3.endpoint");
    if (!c.s3.output_bucket.empty() && !is_valid_bucket_name(c.s3.output_bucket)) {
      problems.push_back(fmt::format("s3.output_bucket '{}' is not a valid bucket name", c.s3.output_bucket));
    }
    if (c.s3.source_buckets.empty()) {
      problems.emplace_back("s3.source_buckets is required with s3.endpoint: the buckets sources may be read from");
    }
    if (c.s3.addressing != "path" && c.s3.addressing != "virtual") {
      problems.push_back(fmt::format("s3.addressing '{}' is not path or virtual", c.s3.addressing));
    }
  }
  // S3 allows parts of 5 MiB to 5 GiB.
  check_range(problems, "s3.part_size_mib", c.s3.part_size_mib, 5, 5120);
  check_range(problems, "s3.multipart_threshold_mib", c.s3.multipart_threshold_mib, 5, 5120);
  check_range(problems, "s3.transfer_concurrency", c.s3.transfer_concurrency, 1, 64);
  check_range(problems, "s3.max_attempts", c.s3.max_attempts, 1, 20);
  check_range(problems, "kafka.retry_backoff_ms", c.kafka.retry_backoff_ms, 1, 60000);
  check_range(problems, "kafka.partitions", c.kafka.partitions, 1, 10000);
  check_range(problems, "kafka.max_batch", c.kafka.max_batch, 1, 10000);
  check_range(problems, "kafka.session_timeout_ms", c.kafka.session_timeout_ms, 1000, 3600000);
  check_range(problems, "kafka.close_timeout_ms", c.kafka.close_timeout_ms, 0, 600000);
  check_range(problems, "kafka.outbox_poll_ms", c.kafka.outbox_poll_ms, 10, 60000);
  check_range(problems, "kafka.outbox_batch", c.kafka.outbox_batch, 1, 10000);
  check_range(problems, "worker.progress_publish_ms", c.worker.progress_publish_ms, 100, 60000);
  check_range(problems, "worker.progress_persist_seconds", c.worker.progress_persist_seconds, 1, 3600);
  check_range(problems, "worker.video_lock_seconds", c.worker.video_lock_seconds, 3, 3600);
  check_range(problems, "worker.video_locked_retry_ms", c.worker.video_locked_retry_ms, 10, 600000);
  if (c.worker.video_lock_seconds < 2 * c.worker.heartbeat_seconds) {
    problems.push_back(fmt::format(
        "worker.video_lock_seconds ({}) must be at least twice worker.heartbeat_seconds ({}): the lock is renewed "
        "with each heartbeat, and one late heartbeat must not let it expire",
        c.worker.video_lock_seconds, c.worker.heartbeat_seconds));
  }
  check_redis(c.redis, problems);
  check_range(problems, "api.max_event_streams", c.api.max_event_streams, 0, 100000);
  check_range(problems, "api.event_stream_max_seconds", c.api.event_stream_max_seconds, 1, 86400);
  for (const auto* topic :
       {&c.kafka.uploaded_topic, &c.kafka.dead_letter_topic, &c.kafka.transcoded_topic, &c.kafka.progress_topic}) {
    if (topic->empty()) problems.emplace_back("kafka topics must not be empty");
  }
  check_http_url("otel.endpoint", c.otel.endpoint, problems);
  if (!(c.otel.sample_ratio >= 0 && c.otel.sample_ratio <= 1)) {
    problems.push_back(fmt::format("otel.sample_ratio {} is not between 0 and 1", c.otel.sample_ratio));
  }
  if (c.otel.service_name.empty() || c.otel.service_name.size() > 128) {
    problems.emplace_back("otel.service_name must be 1 to 128 characters");
  }
  check_range(problems, "otel.export_timeout_ms", c.otel.export_timeout_ms, 10, 60000);
  check_range(problems, "otel.export_interval_ms", c.otel.export_interval_ms, 10, 600000);
  check_range(problems, "otel.max_queue", c.otel.max_queue, 1, 1000000);
  check_range(problems, "otel.max_batch", c.otel.max_batch, 1, 100000);
  check_range(problems, "otel.health_timeout_ms", c.otel.health_timeout_ms, 10, 60000);
  if (c.log.level != "trace" && c.log.level != "debug" && c.log.level != "info" && c.log.level != "warn" &&
      c.log.level != "error") {
    problems.push_back(fmt::format("log.level '{}' is not one of trace, debug, info, warn, error", c.log.level));
  }
  if (c.log.format != "json" && c.log.format != "text" && c.log.format != "auto") {
    problems.push_back(fmt::format("log.format '{}' is not one of json, text, auto", c.log.format));
  }
}

constexpr std::size_t kMaxConfigFileBytes = std::size_t{1} << 20;

// The configuration file as JSON (comments allowed), or why not: the errno of
// an open that failed, the line and column of a syntax error.
Result<json> read_config_file(const std::filesystem::path& file) {
  errno = 0;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::kUsage, fmt::format("cannot read the configuration file {}: {}", file.string(),
                                               std::strerror(errno != 0 ? errno : ENOENT)));
  }
  std::string text;
  text.resize(kMaxConfigFileBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) {
    return fail(ErrorCode::kUsage, fmt::format("cannot read the configuration file {}: {}", file.string(),
                                               std::strerror(errno != 0 ? errno : EIO)));
  }
  if (auto bounded = check_json_bounds(text, {.max_bytes = kMaxConfigFileBytes, .max_depth = 8}); !bounded) {
    return fail(ErrorCode::kUsage, fmt::format("{}: {}", file.string(), bounded.error().message));
  }
  try {
    auto doc = json::parse(text, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
    if (!doc.is_object()) return fail(ErrorCode::kUsage, fmt::format("{} is not a JSON object", file.string()));
    return doc;
  } catch (const json::parse_error& e) {
    // nlohmann reports a byte offset; people count lines and columns.
    std::size_t line = 1;
    std::size_t column = 1;
    const auto end = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
    for (std::size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::string why = e.what();
    if (const auto colon = why.rfind(": "); colon != std::string::npos) why.erase(0, colon + 2);
    return fail(ErrorCode::kUsage,
                fmt::format("{}:{}:{}: not valid JSON: {}", file.string(), line, column, to_valid_utf8(why)));
  }
}

std::string percent_encode(std::string_view text) {
  std::string out;
  for (const unsigned char ch : text) {
    if (std::isalnum(ch) != 0 || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      out += fmt::format("%{:02X}", ch);
    }
  }
  return out;
}

}  // namespace

Result<Config> Config::load(const std::optional<std::filesystem::path>& file,
                            const std::map<std::string, std::string>& environment) {
  Config config;
  std::vector<std::string> problems;
  auto fields = fields_of(config);

  std::vector<std::string> known_keys;
  std::vector<std::string> known_variables;
  for (const auto& f : fields) {
    known_keys.push_back(f.section + "." + f.key);
    known_variables.push_back(env_name(f));
  }

  if (file) {
    auto doc = read_config_file(*file);
    if (!doc) return tl::unexpected(doc.error());
    for (const auto& section_entry : doc->items()) {
      const auto& section = section_entry.key();
      const auto& values = section_entry.value();
      if (!values.is_object()) {
        problems.push_back(fmt::format("{}: section '{}' must be an object", file->string(), section));
        continue;
      }
      for (const auto& item : values.items()) {
        const auto& key = item.key();
        const auto& value = item.value();
        const auto name = fmt::format("{}.{}", section, key);
        auto field = std::find_if(fields.begin(), fields.end(),
                                  [&](const Field& f) { return f.section == section && f.key == key; });
        const auto text = text_of(value);
        if (field == fields.end()) {
          problems.push_back(fmt::format("{}: unknown key {}{}", file->string(), name, did_you_mean(name, known_keys)));
        } else if (!text) {
          problems.push_back(
              fmt::format("{}: {} must be a string, a number or a list of strings", file->string(), name));
        } else if (auto error = field->set(*text)) {
          problems.push_back(fmt::format("{}: {}: {}", file->string(), name, *error));
        }
      }
    }
  }
  for (const auto& field : fields) {
    const auto it = environment.find(env_name(field));
    if (it == environment.end()) continue;
    if (auto error = field.set(it->second)) problems.push_back(fmt::format("{}: {}", env_name(field), *error));
  }
  for (const auto& variable : environment) {
    const auto& name = variable.first;
    if (!name.starts_with("ST_")) continue;
    if (std::find(known_variables.begin(), known_variables.end(), name) != known_variables.end()) continue;
    // ST_WORKER_CONCURRENCY: ours but for an underscore. A lookalike is a
    // problem, since its value would be silently ignored.
    const auto same_letters = std::find_if(known_variables.begin(), known_variables.end(), [&](const auto& known) {
      return without_underscores(known) == without_underscores(name);
    });
    if (same_letters != known_variables.end()) {
      problems.push_back(
          fmt::format("{} is not a configuration variable; did you mean {}? (sections and keys are "
                      "separated by two underscores)",
                      name, *same_letters));
    } else if (name.find("__") != std::string::npos) {
      problems.push_back(
          fmt::format("{} is not a configuration variable{}", name, did_you_mean(name, known_variables)));
    } else if (const auto near = closest(name, known_variables)) {
      problems.push_back(fmt::format("{} is not a configuration variable; did you mean {}?", name, *near));
    } else {
      config.warnings.push_back(fmt::format("{} starts with ST_ but is not a configuration variable (ignored)", name));
    }
  }

  read_secret_file("database.password_file", config.database.password_file, config.database.password, problems);
  read_secret_file("redis.password_file", config.redis.password_file, config.redis.password, problems);
  read_secret_file("api.cursor_key_file", config.api.cursor_key_file, config.api.cursor_key, problems);
  read_secret_file("s3.secret_access_key_file", config.s3.secret_access_key_file, config.s3.secret_access_key,
                   problems);
  validate(config, problems);

  if (!problems.empty()) {
    std::string message =
        fmt::format("the configuration has {} problem{}:", problems.size(), problems.size() > 1 ? "s" : "");
    for (const auto& p : problems) message += "\n  - " + p;
    return fail(ErrorCode::kUsage, message);
  }
  return config;
}

std::string Config::database_conninfo() const {
  if (database.password.empty()) return database.url;
  const char separator = database.url.find('?') == std::string::npos ? '?' : '&';
  return fmt::format("{}{}password={}", database.url, separator, percent_encode(database.password));
}

Result<RedisOptions> redis_options(const RedisConfig& redis) {
  auto endpoint = parse_redis_url(redis.url);
  if (!endpoint) return fail(ErrorCode::kUsage, "redis.url " + endpoint.error().message);
  if (!redis.password.empty()) endpoint->password = redis.password;
  endpoint->tls_ca_file = redis.tls_ca_file;
  endpoint->tls_cert_file = redis.tls_cert_file;
  endpoint->tls_key_file = redis.tls_key_file;
  endpoint->tls_server_name = redis.tls_server_name;
  endpoint->tls_verify = redis.tls_verify;
  return RedisOptions{.endpoint = std::move(*endpoint),
                      .key_prefix = redis.key_prefix,
                      .pool_size = redis.pool_size,
                      .timeouts = {.connect = std::chrono::milliseconds(redis.connect_timeout_ms),
                                   .command = std::chrono::milliseconds(redis.command_timeout_ms)},
                      .retry_after = std::chrono::milliseconds(redis.retry_after_ms)};
}

Result<void> check_auth_config(const AuthConfig& auth) {
  std::vector<std::string> problems;
  if (!auth.enabled) {
    if (!auth.development) {
      problems.emplace_back(
          "auth.enabled=false serves the API to anyone: it needs auth.development=true as well (never in production)");
    }
  } else {
    if (auth.jwks_url.empty() == auth.jwks_file.empty()) {
      problems.emplace_back("auth needs exactly one of auth.jwks_url and auth.jwks_file");
    }
    if (!auth.jwks_url.empty()) check_http_url("auth.jwks_url", auth.jwks_url, problems);
    if (auth.issuer.empty()) problems.emplace_back("auth.issuer is required: the iss tokens must carry");
    if (auth.audience.empty()) problems.emplace_back("auth.audience is required: the aud tokens must carry");
    if (auth.algorithms.empty()) problems.emplace_back("auth.algorithms names no algorithm");
    for (const auto& alg : auth.algorithms) {
      if (alg != "RS256" && alg != "RS384" && alg != "RS512" && alg != "ES256" && alg != "ES384") {
        problems.push_back(fmt::format(
            "auth.algorithms: '{}' is not accepted (RS256, RS384, RS512, ES256 or ES384; never none or HMAC)", alg));
      }
    }
    if (auth.tenant_claim.empty()) problems.emplace_back("auth.tenant_claim is empty");
  }
  if (problems.empty()) return {};
  std::string message;
  for (const auto& p : problems) message += (message.empty() ? "" : "\n") + p;
  return fail(ErrorCode::kUsage, message);
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto eq = text.find('=');
    if (eq != std::string_view::npos) out.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  return out;
}

DrmPolicy drm_policy(const DrmConfig& drm) {
  DrmPolicy policy;
  policy.scheme = parse_protection_scheme(drm.scheme).value_or(ProtectionScheme::kNone);
  for (const auto& name : drm.systems) {
    if (auto system = parse_drm_system(name)) policy.systems.push_back(*system);
  }
  if (policy.scheme == ProtectionScheme::kAes128) policy.systems.clear();
  policy.video_keys = drm.video_keys == "per-resolution" ? VideoKeys::kPerResolution : VideoKeys::kShared;
  policy.clear_lead_seconds = drm.clear_lead_seconds;
  return policy;
}

}  // namespace st
