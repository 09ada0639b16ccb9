// The service's configuration: one struct per section, defaults in code,
// overridden by a JSON file and then by environment variables named
// ST_SECTION__KEY (ST_DATABASE__POOL_SIZE=10). Every key is documented in
// docs/configuration.md. load() reports every problem at once.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "drm/drm_policy.hpp"
#include "redis/redis_client.hpp"
#include "util/error.hpp"

namespace st {

struct DatabaseConfig {
  std::string url;            // postgresql://user@host:port/db (no password here)
  std::string password;       // prefer password_file
  std::string password_file;  // a mounted Kubernetes Secret, for example
  int pool_size = 30;
  int acquire_timeout_ms = 5000;
  int statement_timeout_ms = 15000;  // every statement of the pool; 0: the server's default
};

struct HttpConfig {
  std::string host = "0.0.0.0";
  int port = 8080;
  int max_connections = 256;
  int max_connections_per_client = 32;  // per remote address
  int read_timeout_ms = 10000;          // the whole request, headers and body (slowloris)
  int max_body_bytes = 1024 * 1024;
  int max_header_bytes = 16 * 1024;
  int threads = 2;          // io threads
  int handler_threads = 4;  // threads for handlers that wait on the database
};

struct WorkerConfig {
  int concurrency = 0;  // 0: from the machine's (or cgroup's) cores and memory
  int lease_seconds = 30;
  int heartbeat_seconds = 10;
  int poll_ms = 2000;
  int reaper_interval_ms = 5000;
  int retry_base_ms = 5000;
  int retry_cap_ms = 600000;
  int max_attempts = 3;
  int shutdown_grace_seconds = 30;
  // Live progress goes to Redis at most this often; PostgreSQL gets it at
  // step boundaries, at each 10% and every progress_persist_seconds.
  int progress_publish_ms = 1000;
  int progress_persist_seconds = 15;
  // The per-video lock (Redis, or a PostgreSQL advisory lock while Redis is
  // away): its expiry, renewed with every heartbeat while the job runs (so it
  // must outlast heartbeat_seconds), and how long a job whose video is locked
  // waits before it is claimed again.
  int video_lock_seconds = 30;
  int video_locked_retry_ms = 2000;
};

// Redis: per-video locks, the status cache, live progress, shared rate
// limits. Empty url: none of these leave the process (locks and progress go
// to PostgreSQL, rate limits stay per process).
struct RedisConfig {
  std::string url;  // redis://[user[:password]@]host:port[/db], rediss:// for TLS
  std::string password;
  std::string password_file;
  std::string key_prefix = "st:";
  int pool_size = 8;
  int connect_timeout_ms = 500;
  int command_timeout_ms = 500;
  int retry_after_ms = 1000;  // after a failure, Redis is not tried again for this long
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_server_name;
  bool tls_verify = true;
  int status_cache_seconds = 30;  // how long GET /v1/jobs/{id} may answer from the cache
};

struct StorageConfig {
  std::string source_dir;              // without S3: where source keys are read; empty: nowhere
  std::string output_dir = "outputs";  // without S3: where outputs are published
  std::string output_prefix;           // before {tenantId}/{videoId}/{jobId}/ in output keys
  std::string scratch_dir = "/tmp/stream-transcoding";
  int upload_concurrency = 8;      // output objects uploaded at once
  int scratch_min_free_mib = 512;  // a running encode stops (and its job retries) below this
};

// S3 for sources and outputs; without an endpoint the file store above is used.
struct S3Config {
  std::string endpoint;  // "https://s3.eu-west-1.amazonaws.com", "http://minio:9000"
  std::string region = "us-east-1";
  std::string addressing = "path";  // "path" (MinIO, moto) or "virtual" (bucket.host)
  std::string output_bucket;
  std::vector<std::string> source_buckets;  // the only buckets sources are read from
  std::string access_key_id;                // empty: AWS_* environment, then web identity
  std::string secret_access_key;
  std::string secret_access_key_file;
  std::string sts_endpoint;  // for web identity; empty: AWS's
  int part_size_mib = 16;
  int multipart_threshold_mib = 64;
  int transfer_concurrency = 4;  // parts of one object at once
  int max_attempts = 5;
};

struct TranscodeConfig {
  std::string preset = "veryfast";
  double segment_seconds = 4;
  double max_duration_seconds = 6 * 3600;
  int max_width = 7680;
  int max_height = 7680;
  double max_frame_rate = 120;
  // ffmpeg's limits in the service: wall time max(floor, factor x duration),
  // CPU time that wall time x the machine's cores, address space and largest file.
  double time_limit_factor = 10;
  int time_limit_floor_seconds = 300;
  int max_memory_mib = 16384;
  int max_output_file_mib = 16384;
  // PSNR and SSIM of every rendition over sampled windows (a tenant's policy may switch them off).
  bool quality_scores = true;
  int quality_windows = 3;
  double quality_window_seconds = 1;
  // "fixed", or "per-title": each rung's rate fitted to the video by an
  // analysis step, within these shares of the fixed ladder's rate.
  std::string ladder = "fixed";
  double per_title_floor = 0.1;
  double per_title_ceiling = 1.0;
};

struct KafkaConfig {
  std::string bootstrap_servers;  // empty: no Kafka (the embedded profile)
  std::string group_id = "stream-transcoding";
  std::string uploaded_topic = "video-service.video-uploaded";
  std::string dead_letter_topic = "video-service.video-uploaded.dead-letter";
  std::string transcoded_topic = "transcoding-service.video-transcoded";
  std::string progress_topic = "transcoding-service.transcode-progress";  // at most one event per 10% per job
  int retry_backoff_ms = 1000;     // first wait when the database refuses an event; doubles up to 30 s
  int partitions = 6;              // for topics this service creates
  int max_batch = 500;             // events inserted in one transaction
  int session_timeout_ms = 10000;  // a dead consumer's partitions move to another after this
  int close_timeout_ms = 5000;     // stopping waits at most this on an unreachable broker (per client)
  int outbox_poll_ms = 250;        // how often the outbox relay looks for events to publish
  int outbox_batch = 500;          // events published per relay round
  int max_message_bytes = 65536;   // larger upload events are dead-lettered unread
  int max_retry_seconds = 3600;    // an event the database keeps refusing is dead-lettered after this
};

// Who may call the management API (docs/security.md).
struct AuthConfig {
  bool enabled = true;
  // The explicit flag without which enabled=false is refused: every request
  // is then an admin of development_tenant, and the log says so loudly.
  bool development = false;
  std::string development_tenant = "dev";
  std::string jwks_url;               // the identity provider's keys (https)
  std::string jwks_file;              // or a file, for offline use
  int jwks_min_refresh_seconds = 60;  // an unknown kid refreshes at most this often
  int jwks_timeout_ms = 5000;
  std::string issuer;
  std::string audience;
  std::vector<std::string> algorithms = {"RS256", "ES256"};
  int leeway_seconds = 30;
  std::string tenant_claim = "tenant_id";
};

struct ApiConfig {
  // Signs list cursors; every pod must have the same (a Secret). Empty: a
  // random key per process, and cursors only work on the pod that made them.
  std::string cursor_key;
  std::string cursor_key_file;
  int max_page_size = 200;
  double subject_requests_per_second = 20;  // per token subject
  int subject_burst = 40;
  double tenant_requests_per_second = 50;  // per tenant, unless its policy says otherwise
  int tenant_burst = 100;
  std::string swagger_ui_dir;           // swagger-ui-dist's files, served at /docs; empty: the build's
  int max_event_streams = 200;          // GET /v1/jobs/{id}/events streams open at once, per process
  int event_stream_max_seconds = 3600;  // a stream is closed after this (the client reconnects)
};

// Content protection (docs/drm.md): where keys come from, the default policy
// of tenants whose own says nothing, and where players get licences.
struct DrmConfig {
  std::string key_provider = "none";  // none, static or speke
  std::string static_keys;            // the static key document (a Secret: ST_DRM__STATIC_KEYS)
  std::string static_keys_file;       // or a file holding it (read by the key provider at start)
  std::string speke_url;              // SPEKE v2.0 endpoint (https in production)
  bool speke_sigv4 = false;           // sign with the S3 credentials' chain, service execute-api
  std::string speke_region = "us-east-1";
  int speke_timeout_ms = 10000;
  std::string scheme = "none";  // none, cenc, cbcs or aes-128
  std::vector<std::string> systems = {"widevine", "playready"};
  std::string video_keys = "shared";  // shared or per-resolution
  double clear_lead_seconds = 0;
  std::string packager = "packager";  // Shaka Packager's binary
  std::string clearkey_license_url;   // {kid}: the key ID in hex
  std::string fairplay_key_uri = "skd://{kid}";
  std::string aes128_key_uri;
};

// Metrics and traces (docs/operations.md).
struct MetricsConfig {
  bool enabled = true;  // false: no /metrics and nothing recorded (only for measuring what they cost)
};

struct OtelConfig {
  // The OTLP/HTTP collector ("http://collector:4318"; spans go to
  // {endpoint}/v1/traces). Empty: no spans are exported (the trace context
  // still passes through events).
  std::string endpoint;
  double sample_ratio = 1.0;  // of traces that start here; a parent's decision is followed
  std::string service_name = "stream-transcoding";
  int export_timeout_ms = 2000;   // one batch's POST, and the time stopping may add
  int export_interval_ms = 1000;  // a batch at least this often
  int max_queue = 4096;           // spans waiting; more are dropped and counted
  int max_batch = 512;
  int health_timeout_ms = 2000;  // each dependency's check in /health/ready
};

struct LogConfig {
  std::string level = "info";   // trace, debug, info, warn, error
  std::string format = "auto";  // json, text, or auto (text on a terminal, json otherwise)
};

struct Config {
  DatabaseConfig database;
  HttpConfig http;
  WorkerConfig worker;
  StorageConfig storage;
  TranscodeConfig transcode;
  S3Config s3;
  KafkaConfig kafka;
  RedisConfig redis;
  AuthConfig auth;
  ApiConfig api;
  DrmConfig drm;
  MetricsConfig metrics;
  OtelConfig otel;
  LogConfig log;

  // Things worth a warning in the log that do not stop the start (an ST_
  // variable that is not ours and resembles nothing of ours).
  std::vector<std::string> warnings;

  // Loads defaults <- `file` (optional) <- `environment`, reads secret files and
  // validates: unknown keys (with a "did you mean"), values of the wrong type
  // or out of range, URLs and addresses that do not parse. kUsage with one
  // line per problem.
  static Result<Config> load(const std::optional<std::filesystem::path>& file,
                             const std::map<std::string, std::string>& environment);

  // The connection string with the password (from password or password_file) added.
  [[nodiscard]] std::string database_conninfo() const;
};

// The Redis client's options from the redis section (url, password, TLS files).
Result<RedisOptions> redis_options(const RedisConfig& redis);

// The drm section's default policy (checked by Config::load).
DrmPolicy drm_policy(const DrmConfig& drm);

// The checks of the auth section, made where the API is served (a worker needs none).
Result<void> check_auth_config(const AuthConfig& auth);

// The process environment as a map, for Config::load.
std::map<std::string, std::string> process_environment();

}  // namespace st
