#include "app/config.hpp"

#include "pipeline/encoder.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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

// A secret mounted as a file (Kubernetes Secrets): its first line replaces `target`.
void read_secret_file(const char* key, const std::string& file, std::string& target,
                      std::vector<std::string>& problems) {
  if (file.empty()) return;
  std::ifstream secret(file);
  if (!secret) {
    problems.push_back(fmt::format("{} {} cannot be read", key, file));
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
      {"http", "host", bind(c.http.host)},
      {"http", "port", bind(c.http.port)},
      {"http", "max_connections", bind(c.http.max_connections)},
      {"http", "read_timeout_ms", bind(c.http.read_timeout_ms)},
      {"http", "max_body_bytes", bind(c.http.max_body_bytes)},
      {"http", "threads", bind(c.http.threads)},
      {"worker", "concurrency", bind(c.worker.concurrency)},
      {"worker", "lease_seconds", bind(c.worker.lease_seconds)},
      {"worker", "heartbeat_seconds", bind(c.worker.heartbeat_seconds)},
      {"worker", "poll_ms", bind(c.worker.poll_ms)},
      {"worker", "reaper_interval_ms", bind(c.worker.reaper_interval_ms)},
      {"worker", "retry_base_ms", bind(c.worker.retry_base_ms)},
      {"worker", "retry_cap_ms", bind(c.worker.retry_cap_ms)},
      {"worker", "max_attempts", bind(c.worker.max_attempts)},
      {"worker", "shutdown_grace_seconds", bind(c.worker.shutdown_grace_seconds)},
      {"storage", "source_dir", bind(c.storage.source_dir)},
      {"storage", "output_dir", bind(c.storage.output_dir)},
      {"storage", "scratch_dir", bind(c.storage.scratch_dir)},
      {"storage", "output_prefix", bind(c.storage.output_prefix)},
      {"storage", "upload_concurrency", bind(c.storage.upload_concurrency)},
      {"s3", "endpoint", bind(c.s3.endpoint)},
      {"s3", "region", bind(c.s3.region)},
      {"s3", "addressing", bind(c.s3.addressing)},
      {"s3", "output_bucket", bind(c.s3.output_bucket)},
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
      {"kafka", "bootstrap_servers", bind(c.kafka.bootstrap_servers)},
      {"kafka", "group_id", bind(c.kafka.group_id)},
      {"kafka", "uploaded_topic", bind(c.kafka.uploaded_topic)},
      {"kafka", "dead_letter_topic", bind(c.kafka.dead_letter_topic)},
      {"kafka", "transcoded_topic", bind(c.kafka.transcoded_topic)},
      {"kafka", "retry_backoff_ms", bind(c.kafka.retry_backoff_ms)},
      {"kafka", "partitions", bind(c.kafka.partitions)},
      {"kafka", "max_batch", bind(c.kafka.max_batch)},
      {"kafka", "session_timeout_ms", bind(c.kafka.session_timeout_ms)},
      {"kafka", "outbox_poll_ms", bind(c.kafka.outbox_poll_ms)},
      {"kafka", "outbox_batch", bind(c.kafka.outbox_batch)},
      {"log", "level", bind(c.log.level)},
      {"log", "format", bind(c.log.format)},
  };
}

std::string env_name(const Field& f) {
  std::string name = "ST_" + f.section + "__" + f.key;
  for (auto& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return name;
}

std::string text_of(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

void check_range(std::vector<std::string>& problems, const char* name, double value, double low, double high) {
  if (value < low || value > high)
    problems.push_back(fmt::format("{} must be between {} and {} (is {})", name, low, high, value));
}

void validate(const Config& c, std::vector<std::string>& problems) {
  if (c.database.url.empty()) problems.emplace_back("database.url is required (ST_DATABASE__URL)");
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
  if (!is_known_preset(c.transcode.preset)) {
    problems.push_back(fmt::format("transcode.preset '{}' is not an x264 preset", c.transcode.preset));
  }
  check_range(problems, "storage.upload_concurrency", c.storage.upload_concurrency, 1, 256);
  if (!c.s3.endpoint.empty()) {
    if (!c.s3.endpoint.starts_with("http://") && !c.s3.endpoint.starts_with("https://")) {
      problems.push_back(fmt::format("s3.endpoint '{}' must start with http:// or https://", c.s3.endpoint));
    }
    if (c.s3.output_bucket.empty()) problems.emplace_back("s3.output_bucket is required with s3.endpoint");
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
  check_range(problems, "kafka.outbox_poll_ms", c.kafka.outbox_poll_ms, 10, 60000);
  check_range(problems, "kafka.outbox_batch", c.kafka.outbox_batch, 1, 10000);
  for (const auto* topic : {&c.kafka.uploaded_topic, &c.kafka.dead_letter_topic, &c.kafka.transcoded_topic}) {
    if (topic->empty()) problems.emplace_back("kafka topics must not be empty");
  }
  if (c.log.level != "trace" && c.log.level != "debug" && c.log.level != "info" && c.log.level != "warn" &&
      c.log.level != "error") {
    problems.push_back(fmt::format("log.level '{}' is not one of trace, debug, info, warn, error", c.log.level));
  }
  if (c.log.format != "json" && c.log.format != "text" && c.log.format != "auto") {
    problems.push_back(fmt::format("log.format '{}' is not one of json, text, auto", c.log.format));
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

  if (file) {
    std::ifstream in(*file);
    if (!in) return fail(ErrorCode::kUsage, fmt::format("cannot read the configuration file {}", file->string()));
    const json doc = json::parse(in, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
    if (doc.is_discarded() || !doc.is_object()) {
      return fail(ErrorCode::kUsage, fmt::format("{} is not a JSON object", file->string()));
    }
    for (const auto& entry : doc.items()) {
      const auto& section = entry.key();
      const auto& values = entry.value();
      if (!values.is_object()) {
        problems.push_back(fmt::format("{}: section '{}' must be an object", file->string(), section));
        continue;
      }
      for (const auto& item : values.items()) {
        const auto& key = item.key();
        const auto& value = item.value();
        auto field = std::find_if(fields.begin(), fields.end(),
                                  [&](const Field& f) { return f.section == section && f.key == key; });
        if (field == fields.end()) {
          problems.push_back(fmt::format("{}: unknown key {}.{}", file->string(), section, key));
        } else if (auto error = field->set(text_of(value))) {
          problems.push_back(fmt::format("{}: {}.{}: {}", file->string(), section, key, *error));
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
    if (!name.starts_with("ST_") || name.find("__") == std::string::npos) continue;
    const bool known = std::any_of(fields.begin(), fields.end(), [&](const Field& f) { return env_name(f) == name; });
    if (!known) problems.push_back(fmt::format("{} is not a configuration key", name));
  }

  read_secret_file("database.password_file", config.database.password_file, config.database.password, problems);
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

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto eq = text.find('=');
    if (eq != std::string_view::npos) out.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  return out;
}

}  // namespace st
