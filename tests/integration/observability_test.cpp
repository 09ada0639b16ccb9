// What an operator sees, checked with the real tools: Debian's Prometheus
// scraping the service and answering PromQL about what the test did, promtool
// on /metrics, an OTLP receiver that decodes with the OpenTelemetry project's
// generated protobuf code receiving one trace per upload, per-job CPU time
// that adds up to the process's children total, and health that tells the
// truth while Kafka and S3 are unreachable.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kafka_fixture.hpp"
#include "media_fixtures.hpp"
#include "otlp_fixture.hpp"
#include "postgres_fixture.hpp"
#include "s3_fixture.hpp"
#include "service_process.hpp"
#include "storage/s3_store.hpp"

namespace st {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::eventually;
using testing::http;
using testing::ServiceProcess;
namespace fs = std::filesystem;

constexpr const char* kUploaded = "video-service.video-uploaded";
constexpr const char* kDeadLetters = "video-service.video-uploaded.dead-letter";
constexpr const char* kTranscoded = "transcoding-service.video-transcoded";
constexpr const char* kTraceId = "0af7651916cd43dd8448eb211c80319c";
constexpr const char* kUploadSpan = "b7ad6b7169203331";

std::string file_sha256(const fs::path& file) {
  auto run = run_captured({.argv = {"sha256sum", file.string()}}, 4096);
  return run ? run->stdout_text.substr(0, 64) : std::string();
}

// Debian's prometheus, scraping `target` every second, on a free port.
class Prometheus {
 public:
  explicit Prometheus(const std::string& target) : dir_(testing::fresh_dir("prometheus")) {
    port_ = testing::free_port();
    std::ofstream(dir_ / "prometheus.yml") << fmt::format(
        "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\n"
        "scrape_configs:\n"
        "  - job_name: stream-transcoding\n"
        "    static_configs: [{{targets: ['{}']}}]\n",
        target);
    auto process = Process::spawn({.argv = {"prometheus", "--config.file=" + (dir_ / "prometheus.yml").string(),
                                            "--storage.tsdb.path=" + (dir_ / "data").string(),
                                            fmt::format("--web.listen-address=127.0.0.1:{}", port_)},
                                   .inherit_environment = true});
    EXPECT_TRUE(process.has_value()) << process.error().message;
    if (!process) return;
    process_ = std::make_unique<Process>(std::move(*process));
    EXPECT_TRUE(
        eventually([&] { return testing::http_text(port_, "/-/ready").find("Ready") != std::string::npos; }, 30s))
        << "prometheus did not become ready";
  }

  // Whether Prometheus evaluates `promql` (valid syntax and functions), whatever it yields.
  bool evaluates(const std::string& promql) const {
    auto run = run_captured({.argv = {"curl", "-s", "-m", "10", "-G", "--data-urlencode", "query=" + promql,
                                      fmt::format("http://127.0.0.1:{}/api/v1/query", port_)}},
                            1 << 20);
    if (!run) return false;
    const auto answer = json::parse(run->stdout_text, nullptr, false);
    return !answer.is_discarded() && answer.value("status", "") == "success";
  }

  // The value of an instant PromQL query that yields one sample, or nullopt.
  std::optional<double> query(const std::string& promql) const {
    auto run = run_captured({.argv = {"curl", "-s", "-m", "10", "-G", "--data-urlencode", "query=" + promql,
                                      fmt::format("http://127.0.0.1:{}/api/v1/query", port_)}},
                            1 << 20);
    if (!run) return std::nullopt;
    const auto answer = json::parse(run->stdout_text, nullptr, false);
    if (answer.is_discarded() || answer.value("status", "") != "success") return std::nullopt;
    const auto& result = answer.at("data").at("result");
    if (!result.is_array() || result.size() != 1) return std::nullopt;
    return std::stod(result.at(0).at("value").at(1).get<std::string>());
  }

 private:
  fs::path dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Process> process_;  // killed and reaped with the test
};

class ObservabilityTest : public testing::PostgresTest {
 protected:
  std::vector<std::string> environment(int concurrency = 1) {
    outputs_ = testing::fresh_dir("observability-" + database_);
    return {"ST_DATABASE__URL=" + conninfo_,
            "ST_STORAGE__OUTPUT_DIR=" + outputs_.string(),
            "ST_STORAGE__SCRATCH_DIR=" + (outputs_ / "scratch").string(),
            "ST_STORAGE__SOURCE_DIR=" + testing::source("short_2s").parent_path().string(),
            "ST_TRANSCODE__PRESET=ultrafast",
            "ST_WORKER__CONCURRENCY=" + std::to_string(concurrency),
            "ST_WORKER__POLL_MS=200",
            "ST_WORKER__MAX_ATTEMPTS=1"};
  }

  static std::string job_body(const std::string& video, const std::string& source_name, const std::string& profiles) {
    return json{{"tenantId", "acme"},
                {"videoId", video},
                {"source", {{"key", source_name}}},
                {"profiles", json::parse(profiles)}}
        .dump();
  }

  // Submits a job and waits for its final status; the job's record.
  json run_job(std::uint16_t port, const std::string& video, const std::string& source_name,
               const std::string& profiles = R"(["240p"])") {
    const auto created = http("POST", port, "/v1/jobs", job_body(video, source_name, profiles));
    EXPECT_EQ(created.status, 201) << created.text;
    const auto id = created.body.value("id", "");
    json job;
    EXPECT_TRUE(eventually(
        [&] {
          job = http("GET", port, "/v1/jobs/" + id).body;
          ++job_reads_;
          const auto status = job.value("status", "");
          return status == "succeeded" || status == "failed" || status == "dead";
        },
        120s))
        << job.dump();
    return job;
  }

  // The full report kept in the job's record (the API shows the outcome without it).
  json report_of(const std::string& id) {
    return json::parse(scalar(fmt::format("SELECT (result->'report')::text FROM jobs WHERE id = '{}'", id)));
  }

  fs::path outputs_;
  int job_reads_ = 0;  // GET /v1/jobs/{id} calls this test made
};

// The bucket of `buckets` (upper bounds) that `value` falls in, as [lower, upper].
std::pair<double, double> bucket_of(double value, const std::vector<double>& buckets) {
  double lower = 0;
  for (const double upper : buckets) {
    if (value <= upper) return {lower, upper};
    lower = upper;
  }
  return {lower, std::numeric_limits<double>::infinity()};
}

TEST_F(ObservabilityTest, PrometheusScrapesTheServiceAndAnswersWhatTheTestDid) {
  ServiceProcess service(environment());
  const auto port = service.port();
  ASSERT_NE(port, 0) << service.log();
  const Prometheus prometheus(fmt::format("127.0.0.1:{}", port));

  // Two jobs that succeed and one whose master is not there (a permanent failure).
  std::vector<double> encode_seconds;
  double media_seconds = 0;
  for (const auto* video : {"metrics-1", "metrics-2"}) {
    const auto job = run_job(port, video, testing::source("short_2s").filename().string());
    ASSERT_EQ(job.value("status", ""), "succeeded") << job.dump();
    const auto report = report_of(job.at("id"));
    for (const auto& step : report.at("steps")) {
      if (step.at("name") == "encode") encode_seconds.push_back(step.at("wall_seconds").get<double>());
    }
    media_seconds += job.at("outcome").at("durationSeconds").get<double>();
    EXPECT_GT(job.at("outcome").at("timings").at("cpuSeconds").get<double>(), 0);
    EXPECT_GT(job.at("outcome").at("timings").at("encodeSpeed").get<double>(), 0);
  }
  const auto missing = run_job(port, "metrics-3", "no-such-master.mp4");
  ASSERT_EQ(missing.value("status", ""), "failed") << missing.dump();
  ASSERT_EQ(encode_seconds.size(), 2U);

  // Prometheus has scraped since (1 s interval): its answers are what happened.
  const auto reads = job_reads_;
  ASSERT_TRUE(eventually(
      [&] {
        return prometheus.query(R"(sum(st_http_requests_total{route="/v1/jobs/{id}",method="GET"}))") ==
               std::optional<double>(reads);
      },
      20s))
      << prometheus.query(R"(sum(st_http_requests_total{route="/v1/jobs/{id}",method="GET"}))").value_or(-1)
      << " != " << reads;
  EXPECT_EQ(prometheus.query(R"(sum(st_job_attempts_total{tenant="acme",outcome="succeeded"}))"), 2.0);
  EXPECT_EQ(prometheus.query(R"(sum(st_job_attempts_total{tenant="acme",outcome="failed"}))"), 1.0);
  EXPECT_EQ(prometheus.query(R"(sum(st_http_requests_total{route="/v1/jobs",method="POST",status="201"}))"), 3.0);
  EXPECT_EQ(prometheus.query(R"(sum(st_pipeline_step_duration_seconds_count{step="encode"}))"), 2.0);
  EXPECT_EQ(prometheus.query("st_build_info"), 1.0);
  // The median encode lies in the bucket of the shorter of the two encodes.
  const auto median = prometheus.query(
      R"(histogram_quantile(0.5, sum by (le) (st_pipeline_step_duration_seconds_bucket{step="encode"})))");
  ASSERT_TRUE(median.has_value());
  const auto [lower, upper] = bucket_of(*std::min_element(encode_seconds.begin(), encode_seconds.end()),
                                        {0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600});
  EXPECT_GE(*median, lower);
  EXPECT_LE(*median, upper);
  // Output seconds: the two clips' durations.
  const auto output = prometheus.query(R"(sum(st_output_media_seconds_total{tenant="acme"}))");
  ASSERT_TRUE(output.has_value());
  EXPECT_NEAR(*output, media_seconds, 1e-6);
  EXPECT_EQ(prometheus.query("sum(st_jobs)").value_or(0), 0.0);  // nothing waits

  // Every query of the Grafana dashboard is PromQL that Prometheus evaluates,
  // with the dashboard's variables as Grafana would fill them.
  std::ifstream dashboard_file(fs::path(ST_SOURCE_DIR) / "deploy/observability/dashboard.json");
  const auto dashboard = json::parse(dashboard_file);
  int queries = 0;
  for (const auto& panel : dashboard.at("panels")) {
    for (const auto& target : panel.value("targets", json::array())) {
      auto expr = target.at("expr").get<std::string>();
      for (const auto& [variable, value] : {std::pair<std::string, std::string>{"$__rate_interval", "1m"},
                                            std::pair<std::string, std::string>{"$tenant", ".*"}}) {
        for (auto at = expr.find(variable); at != std::string::npos; at = expr.find(variable)) {
          expr.replace(at, variable.size(), value);
        }
      }
      EXPECT_TRUE(prometheus.evaluates(expr)) << panel.at("title") << ": " << expr;
      ++queries;
    }
  }
  EXPECT_GT(queries, 20);

  // promtool finds nothing to say about the exposition.
  const auto file = outputs_ / "metrics.txt";
  std::ofstream(file) << testing::http_text(port, "/metrics");
  auto lint = run_captured({.argv = {"sh", "-c", "promtool check metrics < '" + file.string() + "' 2>&1"}}, 1 << 16);
  ASSERT_TRUE(lint.has_value());
  EXPECT_TRUE(lint->result.succeeded()) << lint->stdout_text;
  EXPECT_EQ(lint->stdout_text, "");
}

// The names of metrics that the dashboard and the alerts use: st_ followed by
// lower case, digits and underscores, without a histogram's suffix.
std::set<std::string> metric_names_in(const fs::path& file) {
  std::ifstream in(file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::set<std::string> names;
  for (auto at = text.find("st_"); at != std::string::npos; at = text.find("st_", at + 1)) {
    if (at > 0 && (std::isalnum(static_cast<unsigned char>(text[at - 1])) != 0 || text[at - 1] == '_')) continue;
    auto end = at;
    while (end < text.size() && (std::islower(static_cast<unsigned char>(text[end])) != 0 ||
                                 std::isdigit(static_cast<unsigned char>(text[end])) != 0 || text[end] == '_')) {
      ++end;
    }
    auto name = text.substr(at, end - at);
    for (const std::string suffix : {"_bucket", "_count", "_sum"}) {
      if (name.ends_with(suffix) && !name.ends_with("_total" + suffix)) name.resize(name.size() - suffix.size());
    }
    names.insert(name);
  }
  return names;
}

TEST(ObservabilityFiles, TheDashboardAndTheAlertsNameOnlyMetricsTheServiceDefines) {
  // Every name the service defines appears as a string literal in src/.
  std::string sources;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(ST_SOURCE_DIR) / "src")) {
    if (entry.path().extension() != ".cpp") continue;
    std::ifstream in(entry.path());
    sources.append((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  const auto root = fs::path(ST_SOURCE_DIR) / "deploy/observability";
  for (const auto* file : {"dashboard.json", "alerts.yml"}) {
    const auto names = metric_names_in(root / file);
    EXPECT_GT(names.size(), 5U) << file;
    for (const auto& name : names) {
      EXPECT_NE(sources.find('"' + name + '"'), std::string::npos) << file << " names " << name;
    }
  }
}

TEST(ObservabilityFiles, EveryAlertHasARunbookSection) {
  // GitHub's anchors of docs/operations.md's headings: lower case, spaces as dashes.
  std::ifstream operations(fs::path(ST_SOURCE_DIR) / "docs/operations.md");
  std::set<std::string> anchors;
  for (std::string line; std::getline(operations, line);) {
    if (!line.starts_with("#")) continue;
    std::string anchor;
    for (const char c : line.substr(line.find(' ') + 1)) {
      if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
        anchor.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      } else if (c == ' ' || c == '-') {
        anchor.push_back('-');
      }
    }
    anchors.insert(anchor);
  }
  std::ifstream alerts(fs::path(ST_SOURCE_DIR) / "deploy/observability/alerts.yml");
  int runbooks = 0;
  int rules = 0;
  for (std::string line; std::getline(alerts, line);) {
    if (line.find("- alert: ") != std::string::npos) ++rules;
    const auto at = line.find("runbook_url: docs/operations.md#");
    if (at == std::string::npos) continue;
    ++runbooks;
    const auto anchor = line.substr(line.find('#', at) + 1);
    EXPECT_TRUE(anchors.contains(anchor)) << anchor << " is not a section of docs/operations.md";
  }
  EXPECT_EQ(runbooks, rules);
  EXPECT_GE(rules, 7);
}

TEST_F(ObservabilityTest, TwoJobsAtOnceReportCpuTimesThatAddUpToTheProcesssChildren) {
  ServiceProcess service(environment(2));
  const auto port = service.port();
  ASSERT_NE(port, 0) << service.log();
  const auto source = testing::source("landscape_1080p").filename().string();
  std::vector<std::string> ids;
  for (const auto* video : {"cpu-1", "cpu-2"}) {
    const auto created = http("POST", port, "/v1/jobs", job_body(video, source, R"(["360p", "240p"])"));
    ASSERT_EQ(created.status, 201) << created.text;
    ids.push_back(created.body.at("id").get<std::string>());
  }
  std::vector<json> jobs(2);
  ASSERT_TRUE(eventually(
      [&] {
        for (std::size_t i = 0; i < ids.size(); ++i) jobs[i] = http("GET", port, "/v1/jobs/" + ids[i]).body;
        return std::all_of(jobs.begin(), jobs.end(),
                           [](const json& j) { return j.value("status", "") == "succeeded"; });
      },
      180s))
      << jobs[0].dump() << jobs[1].dump();
  // They ran at once: each started before the other finished.
  EXPECT_LT(jobs[0].at("startedAt").get<std::string>(), jobs[1].at("finishedAt").get<std::string>());
  EXPECT_LT(jobs[1].at("startedAt").get<std::string>(), jobs[0].at("finishedAt").get<std::string>());

  // The process's reaped children, as the kernel counts them (cutime + cstime in /proc/PID/stat).
  std::ifstream stat_file(fmt::format("/proc/{}/stat", service.pid()));
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::vector<std::string> after_name((std::istream_iterator<std::string>(fields)),
                                      std::istream_iterator<std::string>());
  ASSERT_GT(after_name.size(), 15U);
  const auto ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double children = (std::stod(after_name[13]) + std::stod(after_name[14])) / ticks;  // fields 16 and 17

  const double a = jobs[0].at("outcome").at("timings").at("cpuSeconds").get<double>();
  const double b = jobs[1].at("outcome").at("timings").at("cpuSeconds").get<double>();
  ASSERT_GT(children, 1.0) << "the jobs should have cost seconds of CPU";
  EXPECT_NEAR(a + b, children, 0.05 * children) << "job CPU " << a << " + " << b << ", children " << children;
  EXPECT_LT(a, 0.8 * children);
  EXPECT_LT(b, 0.8 * children);
  // The report's steps count the job's own children too, not the other job's.
  for (const auto& job : jobs) {
    double steps = 0;
    const auto report = report_of(job.at("id"));
    for (const auto& step : report.at("steps")) steps += step.at("cpu_seconds").get<double>();
    EXPECT_LT(steps, 1.2 * job.at("outcome").at("timings").at("cpuSeconds").get<double>() + 0.5) << job.dump();
  }
}

TEST_F(ObservabilityTest, OneUploadEventIsOneTraceFromItsConsumptionToTheOutcomeEvent) {
  const testing::MotoServer moto;
  const testing::KafkaBroker broker(std::vector<std::string>{
      fmt::format("{}:1", kUploaded), fmt::format("{}:1", kTranscoded), fmt::format("{}:1", kDeadLetters)});
  const testing::OtlpReceiver receiver;
  const auto credentials =
      std::make_shared<StaticCredentials>(AwsCredentials{.access_key_id = "test", .secret_access_key = "test"});
  S3Store uploads("uploads", {.endpoint = moto.endpoint()}, credentials);
  S3Store outputs("outputs", {.endpoint = moto.endpoint()}, credentials);
  ASSERT_TRUE(uploads.create_bucket());
  ASSERT_TRUE(outputs.create_bucket());
  const auto master = testing::source("short_2s");
  ASSERT_TRUE(uploads.put("acme/traced-1/master.mp4", master, "video/mp4"));

  auto env = environment();
  env.insert(env.end(),
             {"ST_KAFKA__BOOTSTRAP_SERVERS=" + broker.bootstrap(), "ST_KAFKA__GROUP_ID=st-" + database_,
              "ST_KAFKA__OUTBOX_POLL_MS=100", "ST_S3__ENDPOINT=" + moto.endpoint(), "ST_S3__OUTPUT_BUCKET=outputs",
              "ST_S3__SOURCE_BUCKETS=uploads", "ST_S3__ACCESS_KEY_ID=test", "ST_S3__SECRET_ACCESS_KEY=test",
              "ST_OTEL__ENDPOINT=" + receiver.endpoint(), "ST_OTEL__EXPORT_INTERVAL_MS=200"});
  ServiceProcess service(env);
  ASSERT_NE(service.port(), 0) << service.log();
  const json upload = {{"videoId", "traced-1"},
                       {"tenantId", "acme"},
                       {"source",
                        {{"bucket", "uploads"},
                         {"key", "acme/traced-1/master.mp4"},
                         {"sizeBytes", fs::file_size(master)},
                         {"contentType", "video/mp4"},
                         {"checksum", "sha256:" + file_sha256(master)}}},
                       {"uploadedAt", "2026-12-02T10:00:00Z"},
                       {"profiles", {"240p"}}};
  broker.produce(kUploaded, {upload.dump()}, {{"traceparent", fmt::format("00-{}-{}-01", kTraceId, kUploadSpan)}},
                 "traced-1");

  std::vector<testing::KafkaMessage> events;
  ASSERT_TRUE(eventually([&] { return !(events = broker.read_all(kTranscoded)).empty(); }, 120s)) << service.log();
  const auto event_context = events.front().headers.at("traceparent");

  // The relay's send span is the last one: once it is in, the trace is complete.
  std::vector<json> spans;
  ASSERT_TRUE(eventually(
      [&] {
        spans = receiver.received();
        return std::any_of(spans.begin(), spans.end(),
                           [](const json& s) { return s.value("name", "") == std::string("send ") + kTranscoded; });
      },
      20s))
      << service.log();
  for (const auto& s : spans) ASSERT_FALSE(s.contains("invalid")) << s.dump();

  std::map<std::string, json> by_id;
  std::multimap<std::string, json> children;  // by parent span id
  for (const auto& s : spans) {
    if (s.at("traceId") != kTraceId) continue;  // health probes and the like: traces of their own
    by_id[s.at("spanId")] = s;
    children.emplace(s.at("parentSpanId").get<std::string>(), s);
  }
  const auto named = [&](const std::string& name) {
    std::vector<json> found;
    for (const auto& [id, s] : by_id) {
      if (s.at("name") == name) found.push_back(s);
    }
    return found;
  };
  const auto children_of = [&](const json& parent) {
    std::vector<json> found;
    const auto [from, to] = children.equal_range(parent.at("spanId").get<std::string>());
    for (auto it = from; it != to; ++it) found.push_back(it->second);
    return found;
  };

  // The consumer span continues the producer's context.
  const auto consumed = named(std::string("process ") + kUploaded);
  ASSERT_EQ(consumed.size(), 1U) << json(spans).dump();
  EXPECT_EQ(consumed[0].at("parentSpanId"), kUploadSpan);
  EXPECT_EQ(consumed[0].at("kind"), 5);  // SPAN_KIND_CONSUMER
  EXPECT_EQ(consumed[0].at("attributes").at("messaging.system"), "kafka");
  EXPECT_EQ(consumed[0].at("attributes").at("messaging.destination.name"), kUploaded);
  EXPECT_EQ(consumed[0].at("resource").at("service.name"), "stream-transcoding");

  // The job, beneath it, with one child per step.
  const auto jobs = named("transcode job");
  ASSERT_EQ(jobs.size(), 1U);
  const auto& job = jobs[0];
  EXPECT_EQ(job.at("parentSpanId"), consumed[0].at("spanId"));
  EXPECT_EQ(job.at("attributes").at("st.tenant.id"), "acme");
  EXPECT_EQ(job.at("attributes").at("st.job.outcome"), "succeeded");
  EXPECT_GT(job.at("attributes").at("st.job.cpu_seconds").get<double>(), 0);
  std::set<std::string> steps;
  for (const auto& child : children_of(job)) steps.insert(child.at("name").get<std::string>());
  for (const auto* step :
       {"step fetch", "step probe", "step plan", "step encode", "step package", "step thumbnails", "step publish"}) {
    EXPECT_TRUE(steps.contains(step)) << step << " missing among " << json(steps).dump();
  }
  const auto step = [&](const std::string& name) {
    const auto found = named(name);
    return found.empty() ? json::object() : found.front();
  };
  // S3 requests are children of the step that made them, on whichever thread.
  const auto s3_children = [&](const std::string& step_name, const std::string& operation) {
    int n = 0;
    for (const auto& child : children_of(step(step_name))) {
      if (child.at("name") == "S3." + operation) {
        ++n;
        EXPECT_EQ(child.at("kind"), 3);  // SPAN_KIND_CLIENT
        EXPECT_EQ(child.at("attributes").at("rpc.service"), "S3");
        const auto status = child.at("attributes").at("http.response.status_code").get<int>();
        EXPECT_TRUE(status == 200 || status == 206) << child.dump();
      }
    }
    return n;
  };
  EXPECT_GE(s3_children("step fetch", "HeadObject"), 1);
  EXPECT_GE(s3_children("step fetch", "GetObject"), 1);
  EXPECT_GE(s3_children("step publish", "PutObject"), 5);  // playlists, segments, poster, report

  // The outcome event's context is the create span beneath the job, and the relay's send follows it.
  const auto created = named(std::string("create ") + kTranscoded);
  ASSERT_EQ(created.size(), 1U);
  EXPECT_EQ(created[0].at("parentSpanId"), job.at("spanId"));
  EXPECT_EQ(event_context, fmt::format("00-{}-{}-01", kTraceId, created[0].at("spanId").get<std::string>()));
  const auto sent = named(std::string("send ") + kTranscoded);
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_EQ(sent[0].at("parentSpanId"), created[0].at("spanId"));
  EXPECT_EQ(sent[0].at("kind"), 4);  // SPAN_KIND_PRODUCER

  // Children start and end within their parents.
  for (const auto& [id, s] : by_id) {
    const auto parent = by_id.find(s.at("parentSpanId").get<std::string>());
    // Spans of work handed on (the job after its message, the send after its
    // event's creation) may outlive their parents; the others nest.
    const auto name = s.at("name").get<std::string>();
    if (parent == by_id.end() || name.starts_with("send ") || name == "transcode job" ||
        name == "create transcoding-service.transcode-progress") {
      continue;
    }
    EXPECT_GE(std::stoull(s.at("startTimeUnixNano").get<std::string>()),
              std::stoull(parent->second.at("startTimeUnixNano").get<std::string>()))
        << s.dump();
    EXPECT_LE(std::stoull(s.at("endTimeUnixNano").get<std::string>()),
              std::stoull(parent->second.at("endTimeUnixNano").get<std::string>()))
        << s.dump();
  }

  // The job's log lines, S3 transfer threads' included, name the job and the trace.
  bool saw_job_line = false;
  for (const auto& line : service.lines()) {
    const auto entry = json::parse(line, nullptr, false);
    if (entry.is_discarded() || entry.value("job_id", "").empty()) continue;
    saw_job_line = true;
    EXPECT_EQ(entry.value("trace_id", ""), kTraceId) << line;
    EXPECT_EQ(entry.value("tenant_id", ""), "acme") << line;
    EXPECT_EQ(entry.value("span_id", "").size(), 16U) << line;
  }
  EXPECT_TRUE(saw_job_line);
}

TEST_F(ObservabilityTest, AReceiverThatIsSlowOrDownNeverDelaysAJob) {
  const testing::OtlpReceiver slow("slow", 20000);
  auto env = environment();
  env.insert(env.end(), {"ST_OTEL__ENDPOINT=" + slow.endpoint(), "ST_OTEL__EXPORT_INTERVAL_MS=100",
                         "ST_OTEL__EXPORT_TIMEOUT_MS=500", "ST_OTEL__MAX_QUEUE=8", "ST_OTEL__MAX_BATCH=4"});
  ServiceProcess service(env);
  const auto port = service.port();
  ASSERT_NE(port, 0) << service.log();
  const auto started = std::chrono::steady_clock::now();
  const auto job = run_job(port, "slow-receiver", testing::source("short_2s").filename().string());
  EXPECT_EQ(job.value("status", ""), "succeeded") << job.dump();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 60s);
  // Spans were dropped and counted, and readiness warns without failing.
  EXPECT_TRUE(eventually(
      [&] {
        const auto metrics = testing::http_text(port, "/metrics");
        const auto at = metrics.find("\nst_trace_spans_dropped_total ");
        return at != std::string::npos && std::stod(metrics.substr(at + 30)) > 0;
      },
      10s));
  const auto ready = http("GET", port, "/health/ready");
  EXPECT_EQ(ready.status, 200) << ready.text;
  EXPECT_EQ(ready.body.at("checks").at("otlp").at("status"), "down") << ready.text;
  EXPECT_EQ(ready.body.at("checks").at("otlp").at("required"), false);
  EXPECT_EQ(ready.body.at("status"), "degraded");
  // Stopping does not wait for the receiver beyond the export timeout.
  const auto stopping = std::chrono::steady_clock::now();
  service.signal(SIGTERM);
  const auto exited = service.wait_exit(15s);
  ASSERT_TRUE(exited.has_value()) << service.log();
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, 8s);
}

TEST_F(ObservabilityTest, LiveAtOnceReadyOnlyWhenKafkaAndS3AnswerAndStoppingIsBounded) {
  const auto closed = testing::free_port();  // nothing listens there
  auto env = environment();
  env.insert(env.end(),
             {fmt::format("ST_KAFKA__BOOTSTRAP_SERVERS=127.0.0.1:{}", closed), "ST_KAFKA__GROUP_ID=st-" + database_,
              "ST_KAFKA__CLOSE_TIMEOUT_MS=1000", fmt::format("ST_S3__ENDPOINT=http://127.0.0.1:{}", closed),
              "ST_S3__OUTPUT_BUCKET=outputs", "ST_S3__SOURCE_BUCKETS=uploads", "ST_S3__ACCESS_KEY_ID=test",
              "ST_S3__SECRET_ACCESS_KEY=test", "ST_OTEL__HEALTH_TIMEOUT_MS=1000", "ST_LOG__LEVEL=debug"});
  const auto spawned = std::chrono::steady_clock::now();
  ServiceProcess service(env);
  const auto port = service.listening_port();
  ASSERT_NE(port, 0) << service.log();
  EXPECT_EQ(http("GET", port, "/health/live").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - spawned, 3s) << "live must not wait for the broker";

  // Not ready while Kafka and S3 do not answer; each answer comes within about one check timeout.
  json ready;
  ASSERT_TRUE(eventually(
      [&] {
        const auto asked = std::chrono::steady_clock::now();
        const auto reply = http("GET", port, "/health/ready");
        EXPECT_LT(std::chrono::steady_clock::now() - asked, 4s);
        ready = reply.body;
        return reply.status == 503 && ready.contains("checks") && ready["checks"].contains("kafka");
      },
      40s))
      << ready.dump() << service.log();
  EXPECT_EQ(ready.at("status"), "not ready");
  EXPECT_EQ(ready.at("checks").at("database").at("status"), "up");
  EXPECT_EQ(ready.at("checks").at("kafka").at("status"), "down");
  EXPECT_EQ(ready.at("checks").at("s3").at("status"), "down");
  EXPECT_EQ(http("GET", port, "/health/live").status, 200);

  // Stopping with the broker away is bounded by kafka.close_timeout_ms per client.
  const auto stopping = std::chrono::steady_clock::now();
  service.signal(SIGTERM);
  const auto exited = service.wait_exit(30s);
  ASSERT_TRUE(exited.has_value()) << service.log();
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, 10s);

  // Every line on stdout is JSON, librdkafka's too, and no level is spelled two ways.
  bool library_line = false;
  bool warn_line = false;
  for (const auto& line : service.lines()) {
    const auto entry = json::parse(line, nullptr, false);
    ASSERT_FALSE(entry.is_discarded()) << line;
    library_line = library_line || entry.value("source", "") == "librdkafka";
    warn_line = warn_line || entry.value("level", "") == "warn";
    EXPECT_NE(entry.value("level", ""), "warning") << line;
  }
  EXPECT_TRUE(library_line) << service.log();
  EXPECT_TRUE(warn_line);
  EXPECT_EQ(exited->stderr_tail.find("|FAIL|"), std::string::npos) << exited->stderr_tail;
}

}  // namespace
}  // namespace st
