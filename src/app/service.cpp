#include "app/service.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <shared_mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

#include "app/health_checks.hpp"
#include "app/service_metrics.hpp"
#include "auth/jwt_verifier.hpp"
#include "db/migrations.hpp"
#include "db/pool.hpp"
#include "drm/speke_key_provider.hpp"
#include "drm/static_key_provider.hpp"
#include "http/api_docs.hpp"
#include "http/cursor.hpp"
#include "http/jobs_api.hpp"
#include "http/middleware.hpp"
#include "http/rate_limiter.hpp"
#include "http/redis_rate_limiter.hpp"
#include "http/reports_api.hpp"
#include "http/server.hpp"
#include "jobs/cached_job_store.hpp"
#include "jobs/pg_job_catalog.hpp"
#include "jobs/pg_job_queue.hpp"
#include "jobs/pg_job_reports.hpp"
#include "jobs/pg_tenant_policies.hpp"
#include "jobs/queue_listener.hpp"
#include "jobs/transcode_job_handler.hpp"
#include "jobs/worker_pool.hpp"
#include "locks/fallback_video_locks.hpp"
#include "messaging/outbox_relay.hpp"
#include "messaging/upload_consumer.hpp"
#include "observability/metrics.hpp"
#include "observability/otlp_exporter.hpp"
#include "observability/tracing.hpp"
#include "redis/redis_job_state.hpp"
#include "storage/aws_credentials.hpp"
#include "storage/file_store.hpp"
#include "storage/s3_store.hpp"
#include "storage/source_policy.hpp"
#include "util/machine.hpp"
#include "util/scratch_space.hpp"

namespace st {
namespace {

std::string worker_identity() {
  std::array<char, 256> host{};
  ::gethostname(host.data(), host.size() - 1);
  return fmt::format("{}:{}", host.data(), ::getpid());
}

PipelineOptions pipeline_options(const TranscodeConfig& t) {
  PipelineOptions options;
  options.encode.preset = t.preset;
  options.encode.segment_seconds = t.segment_seconds;
  options.quality = {
      .enabled = t.quality_scores, .windows = t.quality_windows, .window_seconds = t.quality_window_seconds};
  options.ladder_mode = ladder_mode_from_string(t.ladder).value_or(LadderMode::kFixed);
  options.per_title.floor = t.per_title_floor;
  options.per_title.ceiling = t.per_title_ceiling;
  options.limits = {.max_duration_seconds = t.max_duration_seconds,
                    .max_width = t.max_width,
                    .max_height = t.max_height,
                    .max_frame_rate = t.max_frame_rate};
  return options;
}

// The drm section's key provider: none, the static key document (checked
// now, so that a bad one stops the start), or a SPEKE v2 key server.
Result<std::shared_ptr<KeyProvider>> key_provider(const Config& config) {
  const auto& drm = config.drm;
  if (drm.key_provider == "static") {
    auto provider = drm.static_keys_file.empty() ? StaticKeyProvider::parse(drm.static_keys)
                                                 : StaticKeyProvider::load(drm.static_keys_file);
    if (!provider) return tl::unexpected(provider.error());
    return std::shared_ptr<KeyProvider>(std::make_shared<StaticKeyProvider>(std::move(*provider)));
  }
  if (drm.key_provider == "speke") {
    std::shared_ptr<CredentialsProvider> credentials;
    if (drm.speke_sigv4) {
      auto made = make_credentials_provider({.access_key_id = config.s3.access_key_id,
                                             .secret_access_key = config.s3.secret_access_key,
                                             .session_token = "",
                                             .sts_endpoint = config.s3.sts_endpoint});
      if (!made) return tl::unexpected(made.error());
      credentials = *made;
    }
    return std::shared_ptr<KeyProvider>(
        std::make_shared<SpekeKeyProvider>(SpekeOptions{.url = drm.speke_url,
                                                        .sigv4 = drm.speke_sigv4,
                                                        .region = drm.speke_region,
                                                        .service = "execute-api",
                                                        .timeout = std::chrono::milliseconds(drm.speke_timeout_ms)},
                                           std::move(credentials)));
  }
  return std::shared_ptr<KeyProvider>();
}

// A random key, for a cursor_key left empty (one pod, or tests).
std::string random_key() {
  std::array<unsigned char, 32> bytes{};
  std::random_device random;
  for (auto& b : bytes) b = static_cast<unsigned char>(random());
  return {bytes.begin(), bytes.end()};
}

SourcePolicy source_policy(const Config& config) {
  return {.uses_buckets = !config.s3.endpoint.empty(), .allowed_buckets = config.s3.source_buckets};
}

std::string_view role_name(ServiceRole role) {
  switch (role) {
    case ServiceRole::kApi:
      return "api";
    case ServiceRole::kWorker:
      return "worker";
    case ServiceRole::kAll:
      return "all";
  }
  return "all";
}

S3Options s3_options(const S3Config& s3, Metrics* metrics) {
  return S3Options{.endpoint = s3.endpoint,
                   .region = s3.region,
                   .path_style = s3.addressing == "path",
                   .part_size = static_cast<std::uint64_t>(s3.part_size_mib) << 20,
                   .multipart_threshold = static_cast<std::uint64_t>(s3.multipart_threshold_mib) << 20,
                   .concurrency = s3.transfer_concurrency,
                   .max_attempts = s3.max_attempts,
                   .metrics = metrics};
}

}  // namespace

struct Service::Components {
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<OtlpHttpExporter> exporter;  // null without otel.endpoint
  std::unique_ptr<Tracer> tracer;
  std::atomic<bool> started{false};  // everything is up: /health/ready may say ready
  std::atomic<bool> stopping{false};
  // Held (shared) by a readiness check while it uses the components; stop()
  // takes it once, after `stopping` is set, so none is in use when they go.
  mutable std::shared_mutex checks_mutex;
  // The last readiness answer, reused for a second: a flood of probes costs
  // one round of checks a second (a database query, a broker and an S3 request).
  mutable std::mutex readiness_mutex;
  mutable std::chrono::steady_clock::time_point readiness_at;
  mutable std::vector<DependencyCheck> readiness;
  std::unique_ptr<ConnectionPool> pool;
  RedisFallbackCounters fallbacks;
  std::unique_ptr<RedisClient> redis;        // null without redis.url
  std::unique_ptr<RedisJobState> job_state;  // status cache and live progress, in Redis
  std::unique_ptr<PgJobQueue> pg_queue;
  std::unique_ptr<PgJobCatalog> pg_catalog;
  std::unique_ptr<CachedJobQueue> cached_queue;
  std::unique_ptr<CachedJobCatalog> cached_catalog;
  JobQueue* queue = nullptr;      // what the workers use: cached_queue or pg_queue
  JobCatalog* catalog = nullptr;  // what the API and the consumer use
  std::unique_ptr<PgTenantPolicies> policies;
  std::unique_ptr<PgJobReports> reports;
  std::unique_ptr<JwksCache> jwks;
  std::unique_ptr<JwtVerifier> verifier;
  std::unique_ptr<CursorCodec> cursors;
  std::unique_ptr<LocalRateLimiter> local_limiter;
  std::unique_ptr<RedisRateLimiter> shared_limiter;
  std::unique_ptr<RedisVideoLocks> redis_locks;
  std::unique_ptr<PgVideoLocks> pg_locks;
  std::unique_ptr<FallbackVideoLocks> video_locks;
  std::unique_ptr<TtlCache> tenant_rates;
  std::unique_ptr<ScratchSpace> scratch;
  std::shared_ptr<S3Store> s3_outputs;  // for readiness; null with the embedded file store
  std::unique_ptr<TranscodeJobHandler> handler;
  std::unique_ptr<WorkerPool> workers;
  std::unique_ptr<QueueListener> listener;
  MessagingCounters counters;
  std::unique_ptr<OutboxRelay> relay;
  std::unique_ptr<UploadConsumer> consumer;
  Router router;
  std::unique_ptr<HttpServer> http;
};

Service::Service(Config config, ServiceRole role)
    : config_(std::move(config)), role_(role), parts_(std::make_unique<Components>()) {}

Service::~Service() {
  stop(std::chrono::milliseconds(0));
}

Result<void> Service::start() {
  auto& p = *parts_;
  // Metrics, traces and health first: /health/live answers from the first
  // moment, whatever the dependencies do, and the start is traced too.
  if (config_.metrics.enabled) {
    p.metrics = std::make_unique<Metrics>(BuildInfo{.version = ST_VERSION, .role = std::string(role_name(role_))});
  }
  const auto& otel = config_.otel;
  if (!otel.endpoint.empty()) {
    p.exporter = std::make_unique<OtlpHttpExporter>(
        OtlpExporterOptions{.endpoint = otel.endpoint,
                            .max_queue = static_cast<std::size_t>(otel.max_queue),
                            .max_batch = static_cast<std::size_t>(otel.max_batch),
                            .interval = std::chrono::milliseconds(otel.export_interval_ms),
                            .timeout = std::chrono::milliseconds(otel.export_timeout_ms),
                            .resource = {{"service.name", otel.service_name},
                                         {"service.version", ST_VERSION},
                                         {"service.instance.id", worker_identity()},
                                         {"st.role", std::string(role_name(role_))}}});
    p.tracer = std::make_unique<Tracer>(TracerOptions{.sample_ratio = otel.sample_ratio}, *p.exporter);
    install_tracer(p.tracer.get());
    spdlog::info("exporting traces to {} (sampling {} of new traces)", p.exporter->url(), otel.sample_ratio);
  }
  add_health_routes(p.router, [this] { return check_dependencies(); });
  p.router.add("GET", "/metrics", Access::kPublic, [metrics = p.metrics.get()](const HttpRequest&) {
    return HttpResponse{.status = 200,
                        .content_type = "text/plain; version=0.0.4; charset=utf-8",
                        .body = metrics->exposition(),
                        .headers = {},
                        .stream = nullptr};
  });
  p.router.measure(p.metrics.get());
  // Workers serve health too: Kubernetes probes every pod.
  const auto& h = config_.http;
  p.http =
      std::make_unique<HttpServer>(HttpServerOptions{.host = h.host,
                                                     .port = static_cast<std::uint16_t>(h.port),
                                                     .threads = h.threads,
                                                     .handler_threads = h.handler_threads,
                                                     .max_connections = h.max_connections,
                                                     .max_connections_per_client = h.max_connections_per_client,
                                                     .request_timeout_ms = h.read_timeout_ms,
                                                     .max_header_bytes = static_cast<std::size_t>(h.max_header_bytes),
                                                     .max_body_bytes = static_cast<std::size_t>(h.max_body_bytes)},
                                   p.router);
  if (auto started = p.http->start(); !started) return started;
  spdlog::info("listening on {}:{}", h.host, p.http->port());

  const auto conninfo = config_.database_conninfo();
  auto migrated = Migrator(conninfo, embedded_migrations()).migrate();
  if (!migrated) return tl::unexpected(migrated.error());
  for (const auto& name : migrated->applied) spdlog::info("applied migration {}", name);
  spdlog::info("database schema at version {}", migrated->schema_version);

  p.pool = std::make_unique<ConnectionPool>(
      ConnectionPool::Options{.conninfo = conninfo,
                              .max_size = static_cast<std::size_t>(config_.database.pool_size),
                              .acquire_timeout = std::chrono::milliseconds(config_.database.acquire_timeout_ms),
                              .on_connect =
                                  [](pqxx::connection& c) {
                                    PgJobQueue::prepare_statements(c);
                                    PgJobCatalog::prepare_statements(c);
                                    PgTenantPolicies::prepare_statements(c);
                                  },
                              .statement_timeout = std::chrono::milliseconds(config_.database.statement_timeout_ms)});
  const auto& kafka = config_.kafka;
  const bool with_kafka = !kafka.bootstrap_servers.empty();
  // With Kafka, every final status is announced through the outbox.
  const auto announcer = with_kafka ? video_transcoded_announcer(kafka.transcoded_topic) : OutcomeAnnouncer{};
  const auto progress_announcer = with_kafka ? transcode_progress_announcer(kafka.progress_topic) : ProgressAnnouncer{};
  p.pg_queue = std::make_unique<PgJobQueue>(*p.pool, announcer, progress_announcer);
  p.pg_catalog = std::make_unique<PgJobCatalog>(*p.pool, announcer);
  p.queue = p.pg_queue.get();
  p.catalog = p.pg_catalog.get();
  if (!config_.redis.url.empty()) {
    auto options = redis_options(config_.redis);
    if (!options) return tl::unexpected(options.error());
    p.redis = std::make_unique<RedisClient>(std::move(*options));
    p.job_state = std::make_unique<RedisJobState>(
        *p.redis, RedisJobStateOptions{.cache_ttl = std::chrono::seconds(config_.redis.status_cache_seconds)},
        p.fallbacks);
    p.cached_queue = std::make_unique<CachedJobQueue>(*p.pg_queue, *p.job_state);
    p.cached_catalog = std::make_unique<CachedJobCatalog>(*p.pg_catalog, *p.job_state);
    p.queue = p.cached_queue.get();
    p.catalog = p.cached_catalog.get();
    // Not fatal: everything falls back while Redis is away, and returns when it is back.
    if (auto pong = p.redis->command({"PING"}); !pong) {
      spdlog::warn("Redis is not reachable yet ({}): running on PostgreSQL and local state until it is",
                   pong.error().message);
    }
  }
  p.policies = std::make_unique<PgTenantPolicies>(*p.pool);
  p.reports = std::make_unique<PgJobReports>(*p.pool);
  if (p.metrics) {
    add_service_collectors(
        *p.metrics,
        ServiceState{.pool = p.pool.get(),
                     .redis = p.redis.get(),
                     .fallbacks = &p.fallbacks,
                     .messaging = &p.counters,
                     .exporter = p.exporter.get(),
                     .kafka = with_kafka,
                     .scratch = role_ == ServiceRole::kApi ? std::filesystem::path()
                                                           : std::filesystem::path(config_.storage.scratch_dir)});
  }
  if (role_ != ServiceRole::kWorker) {
    if (auto api = add_api_routes(); !api) return api;
  }

  if (role_ != ServiceRole::kApi) {
    const auto& w = config_.worker;
    const int concurrency =
        w.concurrency > 0 ? w.concurrency : default_worker_concurrency(available_cpus(), available_memory_bytes());
    const auto& storage = config_.storage;
    SourceStores sources;
    std::shared_ptr<ObjectStore> outputs;
    if (config_.s3.endpoint.empty()) {
      if (storage.source_dir.empty()) {
        spdlog::warn("storage.source_dir is not set: jobs can name no source until it is");
      }
      auto files = std::make_shared<FileStore>(storage.source_dir);
      sources = [files](const std::string& /*bucket*/) { return files; };
      outputs = std::make_shared<FileStore>(storage.output_dir);
    } else {
      auto credentials = make_credentials_provider({.access_key_id = config_.s3.access_key_id,
                                                    .secret_access_key = config_.s3.secret_access_key,
                                                    .session_token = "",
                                                    .sts_endpoint = config_.s3.sts_endpoint});
      if (!credentials) return tl::unexpected(credentials.error());
      const auto options = s3_options(config_.s3, p.metrics.get());
      sources = [options, credentials = *credentials](const std::string& bucket) -> std::shared_ptr<ObjectStore> {
        return std::make_shared<S3Store>(bucket, options, credentials);
      };
      p.s3_outputs = std::make_shared<S3Store>(config_.s3.output_bucket, options, *credentials);
      outputs = p.s3_outputs;
    }
    auto scratch = ScratchSpace::open(storage.scratch_dir);
    if (!scratch) return tl::unexpected(scratch.error());
    if (scratch->removed_stale() > 0) {
      spdlog::info("removed {} scratch folder(s) left by stopped processes", scratch->removed_stale());
    }
    p.scratch = std::make_unique<ScratchSpace>(std::move(*scratch));
    auto keys = key_provider(config_);
    if (!keys) return tl::unexpected(keys.error());
    const auto& t = config_.transcode;
    auto pipeline = pipeline_options(t);
    pipeline.encryptor.packager = config_.drm.packager;
    p.handler = std::make_unique<TranscodeJobHandler>(
        TranscodeJobOptions{
            .scratch_dir = p.scratch->path(),
            .output_prefix = storage.output_prefix,
            .pipeline = std::move(pipeline),
            .upload_concurrency = storage.upload_concurrency,
            .sources = source_policy(config_),
            .budget = {.time_factor = t.time_limit_factor,
                       .time_floor = std::chrono::seconds(t.time_limit_floor_seconds),
                       .cpus = available_cpus(),
                       .max_memory_bytes = static_cast<std::uint64_t>(t.max_memory_mib) << 20,
                       .max_file_bytes = static_cast<std::uint64_t>(t.max_output_file_mib) << 20,
                       .min_free_bytes = static_cast<std::uint64_t>(storage.scratch_min_free_mib) << 20},
            .output_bucket = config_.s3.endpoint.empty() ? std::string() : config_.s3.output_bucket,
            .drm = drm_policy(config_.drm),
            .signalling = {.clearkey_license_url = config_.drm.clearkey_license_url,
                           .fairplay_key_uri = config_.drm.fairplay_key_uri,
                           .aes128_key_uri = config_.drm.aes128_key_uri}},
        std::move(sources), std::move(outputs), p.policies.get(), std::move(*keys));
    p.pg_locks = std::make_unique<PgVideoLocks>(conninfo, *p.pool);
    if (p.redis) {
      p.redis_locks =
          std::make_unique<RedisVideoLocks>(*p.redis, std::chrono::seconds(config_.worker.video_lock_seconds));
    }
    p.video_locks = std::make_unique<FallbackVideoLocks>(p.redis_locks.get(), *p.pg_locks, p.fallbacks);
    p.workers = std::make_unique<WorkerPool>(
        *p.queue, *p.handler,
        WorkerOptions{.owner = worker_identity(),
                      .concurrency = concurrency,
                      .lease = std::chrono::seconds(w.lease_seconds),
                      .heartbeat = std::chrono::seconds(w.heartbeat_seconds),
                      .poll = std::chrono::milliseconds(w.poll_ms),
                      .reaper_interval = std::chrono::milliseconds(w.reaper_interval_ms),
                      .retry_base = std::chrono::milliseconds(w.retry_base_ms),
                      .retry_cap = std::chrono::milliseconds(w.retry_cap_ms),
                      .progress_publish = std::chrono::milliseconds(w.progress_publish_ms),
                      .progress_persist = std::chrono::seconds(w.progress_persist_seconds),
                      .video_locked_retry = std::chrono::milliseconds(w.video_locked_retry_ms)},
        WorkerServices{.locks = p.video_locks.get(), .live = p.job_state.get(), .metrics = p.metrics.get()});
    p.workers->start();
    auto* workers = p.workers.get();
    p.listener = std::make_unique<QueueListener>(
        conninfo, QueueListener::Handlers{{"jobs_queued", [workers](const std::string&) { workers->wake(); }},
                                          {"jobs_cancelled", [workers](const std::string& id) {
                                             if (!id.empty()) workers->cancelled(id);
                                           }}});
    p.listener->start();
    spdlog::info("{} worker(s) started as {}", concurrency, worker_identity());
  }

  if (with_kafka) {
    // Every role relays: whichever process holds the relay lock publishes.
    p.relay = std::make_unique<OutboxRelay>(
        *p.pool,
        OutboxRelayOptions{.bootstrap_servers = kafka.bootstrap_servers,
                           .poll = std::chrono::milliseconds(kafka.outbox_poll_ms),
                           .batch = kafka.outbox_batch,
                           .close_timeout = std::chrono::milliseconds(kafka.close_timeout_ms)},
        p.counters);
    if (auto started = p.relay->start(); !started) return started;
    // Accepting uploads is the API side's job: it only inserts rows.
    if (role_ != ServiceRole::kWorker) {
      p.consumer =
          std::make_unique<UploadConsumer>(UploadConsumerOptions{.bootstrap_servers = kafka.bootstrap_servers,
                                                                 .group_id = kafka.group_id,
                                                                 .uploaded_topic = kafka.uploaded_topic,
                                                                 .dead_letter_topic = kafka.dead_letter_topic,
                                                                 .transcoded_topic = kafka.transcoded_topic,
                                                                 .partitions = kafka.partitions,
                                                                 .max_batch = kafka.max_batch,
                                                                 .session_timeout_ms = kafka.session_timeout_ms,
                                                                 .close_timeout_ms = kafka.close_timeout_ms,
                                                                 .max_message_bytes = kafka.max_message_bytes,
                                                                 .retry_backoff_ms = kafka.retry_backoff_ms,
                                                                 .max_retry_seconds = kafka.max_retry_seconds,
                                                                 .max_attempts = config_.worker.max_attempts,
                                                                 .sources = source_policy(config_)},
                                           *p.catalog, p.counters);
      if (auto started = p.consumer->start(); !started) return started;
    }
  }

  p.started = true;
  spdlog::info("started as {}", role_name(role_));
  return {};
}

std::vector<DependencyCheck> Service::check_dependencies() const {
  const auto& p = *parts_;
  const std::shared_lock lock(p.checks_mutex);
  if (!p.started || p.stopping) {
    return {DependencyCheck{
        .name = "lifecycle", .up = false, .detail = p.stopping ? "stopping" : "starting", .latency_ms = 0}};
  }
  const std::lock_guard reuse(p.readiness_mutex);
  if (!p.readiness.empty() && std::chrono::steady_clock::now() - p.readiness_at < std::chrono::seconds(1)) {
    return p.readiness;
  }
  const auto timeout = std::chrono::milliseconds(config_.otel.health_timeout_ms);
  std::vector<std::function<DependencyCheck()>> checks{
      [pool = p.pool.get(), timeout] { return check_database(*pool, timeout); }};
  if (p.redis) checks.emplace_back([redis = p.redis.get()] { return check_redis(*redis); });
  if (p.relay) checks.emplace_back([relay = p.relay.get(), timeout] { return check_kafka(*relay, timeout); });
  if (p.s3_outputs) checks.emplace_back([s3 = p.s3_outputs.get(), timeout] { return check_s3(*s3, timeout); });
  if (p.exporter) checks.emplace_back([exporter = p.exporter.get()] { return check_otlp(*exporter); });
  p.readiness = run_checks(checks);
  p.readiness_at = std::chrono::steady_clock::now();
  return p.readiness;
}

Result<void> Service::add_api_routes() {
  auto& p = *parts_;
  const auto& auth = config_.auth;
  if (auto checked = check_auth_config(auth); !checked) return checked;
  Authenticate authenticate;
  std::optional<Principal> development;
  if (auth.enabled) {
    p.jwks = std::make_unique<JwksCache>(
        auth.jwks_url.empty() ? jwks_from_file(auth.jwks_file)
                              : jwks_from_url(auth.jwks_url, std::chrono::milliseconds(auth.jwks_timeout_ms)),
        std::chrono::seconds(auth.jwks_min_refresh_seconds));
    // A JWKS that cannot be read now is logged, not fatal: the identity
    // provider may come up after us, and the first token retries.
    if (auto loaded = p.jwks->refresh(); !loaded) spdlog::warn("JWKS not loaded yet: {}", loaded.error().message);
    p.verifier = std::make_unique<JwtVerifier>(JwtVerifierOptions{.issuer = auth.issuer,
                                                                  .audience = auth.audience,
                                                                  .algorithms = auth.algorithms,
                                                                  .leeway = std::chrono::seconds(auth.leeway_seconds),
                                                                  .tenant_claim = auth.tenant_claim},
                                               *p.jwks);
    authenticate = [verifier = p.verifier.get()](const std::string& token) { return verifier->verify(token); };
  } else {
    development = Principal{.subject = "developer", .tenant = auth.development_tenant, .roles = {Role::kAdmin}};
    for (int i = 0; i < 3; ++i) {
      spdlog::error(
          "AUTHENTICATION IS OFF (auth.enabled=false, auth.development=true): every request is an admin "
          "of tenant {}. Never run this way where anyone else can reach the port.",
          auth.development_tenant);
    }
  }
  const auto& api = config_.api;
  if (api.cursor_key.empty()) {
    spdlog::warn("api.cursor_key is not set: list cursors are signed with a key of this process only");
  }
  p.cursors = std::make_unique<CursorCodec>(api.cursor_key.empty() ? random_key() : api.cursor_key);
  p.local_limiter = std::make_unique<LocalRateLimiter>();
  RateLimiter* limiter = p.local_limiter.get();
  if (p.redis) {
    p.shared_limiter = std::make_unique<RedisRateLimiter>(*p.redis, *p.local_limiter, p.fallbacks);
    limiter = p.shared_limiter.get();
  }
  p.tenant_rates = std::make_unique<TtlCache>(
      [policies = p.policies.get()](const std::string& tenant) -> std::optional<double> {
        auto policy = policies->get(tenant);
        return policy ? policy->requests_per_second : std::nullopt;
      },
      std::chrono::seconds(5));
  p.router.use(std::make_shared<RequestIdMiddleware>());
  p.router.use(std::make_shared<AuthMiddleware>(std::move(authenticate), std::move(development)));
  p.router.use(std::make_shared<RateLimitMiddleware>(
      *limiter,
      RateLimitOptions{
          .per_subject = {.per_second = api.subject_requests_per_second,
                          .burst = static_cast<double>(api.subject_burst)},
          .per_tenant = {.per_second = api.tenant_requests_per_second, .burst = static_cast<double>(api.tenant_burst)},
          .tenant_rate = [cache = p.tenant_rates.get()](const std::string& tenant) { return cache->get(tenant); }}));
  const JobsApiOptions options{.default_max_attempts = config_.worker.max_attempts,
                               .sources = source_policy(config_),
                               .max_body_bytes = static_cast<std::size_t>(config_.http.max_body_bytes),
                               .max_page_size = api.max_page_size,
                               .max_event_streams = api.max_event_streams,
                               .event_stream_lifetime = std::chrono::seconds(api.event_stream_max_seconds)};
  add_jobs_routes(p.router,
                  {.catalog = *p.catalog, .policies = *p.policies, .cursors = *p.cursors, .live = p.job_state.get()},
                  options);
  add_tenant_routes(p.router, *p.policies, options);
  add_report_routes(p.router, *p.reports);
  return add_api_docs_routes(p.router, api.swagger_ui_dir.empty() ? std::filesystem::path(ST_SWAGGER_UI_DIR)
                                                                  : std::filesystem::path(api.swagger_ui_dir));
}

void Service::stop(std::chrono::milliseconds grace) {
  auto& p = *parts_;
  p.stopping = true;  // not ready from now on: the load balancer stops sending
  { const std::unique_lock wait_for_checks(p.checks_mutex); }
  if (p.consumer) p.consumer.reset();  // leaves the group, committing stored offsets
  if (p.listener) p.listener.reset();
  if (p.workers) {
    spdlog::info("stopping: no new jobs; running jobs have {} ms to finish", grace.count());
    p.workers->shutdown(grace);
    p.workers.reset();
  }
  // After the workers: the outcomes they recorded while stopping go out now if the broker allows.
  if (p.relay) p.relay.reset();
  if (p.http) {
    p.http->stop();
    p.http.reset();
  }
  p.started = false;
  p.video_locks.reset();
  p.redis_locks.reset();
  p.pg_locks.reset();
  p.cached_queue.reset();
  p.cached_catalog.reset();
  p.pg_queue.reset();
  p.pg_catalog.reset();
  p.queue = nullptr;
  p.catalog = nullptr;
  p.policies.reset();
  p.job_state.reset();
  p.redis.reset();
  p.pool.reset();
  // Last: what stopping did is traced too. The exporter sends what is queued
  // within its timeout.
  install_tracer(nullptr);
  p.tracer.reset();
  p.exporter.reset();
}

std::uint16_t Service::http_port() const {
  return parts_->http ? parts_->http->port() : 0;
}

}  // namespace st
