// The management API as its callers meet it: `serve` as a real process, a
// real PostgreSQL, tokens minted by jose against a JWKS on loopback, curl as
// the client. Identity and roles, tenant isolation, listing, cancel, retry,
// tenant policy, rate limits and the API's documents.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "jwt_issuer.hpp"
#include "kafka_fixture.hpp"
#include "media_fixtures.hpp"
#include "postgres_fixture.hpp"
#include "redis_fixture.hpp"
#include "service_process.hpp"

namespace st {
namespace {

using testing::bearer;
using testing::eventually;
using testing::http;
using testing::JwtIssuer;
using testing::Reply;
using testing::ServiceProcess;

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

class ApiTest : public testing::PostgresTest {
 protected:
  // `serve` with authentication against the issuer; `extra` overrides.
  std::unique_ptr<ServiceProcess> start(std::vector<std::string> extra = {}, std::vector<std::string> arguments = {}) {
    outputs_ = testing::fresh_dir("api-out-" + database_);
    scratch_ = testing::fresh_dir("api-scratch-" + database_);
    std::vector<std::string> environment = {
        "ST_DATABASE__URL=" + conninfo_,
        "ST_AUTH__ENABLED=true",
        "ST_AUTH__DEVELOPMENT=false",
        "ST_AUTH__JWKS_URL=" + issuer_.jwks_url(),
        std::string("ST_AUTH__ISSUER=") + testing::kIssuer,
        std::string("ST_AUTH__AUDIENCE=") + testing::kAudience,
        "ST_AUTH__JWKS_MIN_REFRESH_SECONDS=1",
        "ST_STORAGE__OUTPUT_DIR=" + outputs_.string(),
        "ST_STORAGE__SCRATCH_DIR=" + scratch_.string(),
        "ST_STORAGE__SOURCE_DIR=" + testing::source("short_2s").parent_path().string(),
        "ST_TRANSCODE__PRESET=ultrafast",
        "ST_WORKER__CONCURRENCY=1",
        "ST_WORKER__POLL_MS=200",
        "ST_WORKER__HEARTBEAT_SECONDS=1",
        "ST_WORKER__LEASE_SECONDS=5"};
    for (const auto& setting : extra) {
      const auto name = setting.substr(0, setting.find('=') + 1);
      std::erase_if(environment, [&](const std::string& e) { return e.starts_with(name); });
      environment.push_back(setting);
    }
    auto service = std::make_unique<ServiceProcess>(environment, arguments);
    port_ = service->port();
    EXPECT_NE(port_, 0) << service->log();
    return service;
  }

  Reply call(const std::string& method, const std::string& path, const std::string& token,
             const std::string& body = "") {
    return http(method, port_, path, body, {bearer(token)});
  }

  std::string create_job(const std::string& token, const std::string& video, const std::string& source = "short_2s",
                         const json& profiles = json::array({"360p"})) {
    const auto reply = call("POST", "/v1/jobs", token,
                            json{{"videoId", video},
                                 {"source", {{"key", testing::source(source).filename().string()}}},
                                 {"profiles", profiles}}
                                .dump());
    EXPECT_EQ(reply.status, 201) << reply.text;
    return reply.body.value("id", "");
  }

  JwtIssuer issuer_;
  std::uint16_t port_ = 0;
  fs::path outputs_;
  fs::path scratch_;
};

TEST_F(ApiTest, EachRoleGetsWhatItMayAndNoMore) {
  auto service = start({}, {"--role", "api"});
  const auto viewer = issuer_.token("acme", {"viewer"});
  const auto op = issuer_.token("acme", {"operator"});
  const auto admin = issuer_.token("ops", {"admin"});

  const auto listed = call("GET", "/v1/jobs", viewer);
  EXPECT_EQ(listed.status, 200) << listed.text << "\ntoken: " << viewer;
  const auto refused = call("POST", "/v1/jobs", viewer, R"({"videoId":"v","source":{"key":"short_2s.mp4"}})");
  EXPECT_EQ(refused.status, 403) << refused.text;
  const auto id = create_job(op, "video-1");
  EXPECT_EQ(call("GET", "/v1/jobs/" + id, viewer).status, 200);
  EXPECT_EQ(call("GET", "/v1/tenants/acme/policy", op).status, 403);
  EXPECT_EQ(call("PUT", "/v1/tenants/acme/policy", viewer, "{}").status, 403);
  EXPECT_EQ(call("GET", "/v1/tenants/acme/policy", admin).status, 200);
  // An admin sees every tenant's jobs.
  EXPECT_EQ(call("GET", "/v1/jobs/" + id, admin).status, 200);
  // A token with no role reads nothing.
  EXPECT_EQ(call("GET", "/v1/jobs", issuer_.token("acme", {})).status, 403);
  // Health, metrics and the documents need no token.
  EXPECT_EQ(http("GET", port_, "/health/live").status, 200);
  EXPECT_EQ(http("GET", port_, "/metrics").status, 200);
  EXPECT_EQ(http("GET", port_, "/openapi.json").status, 200);
}

TEST_F(ApiTest, EveryBadTokenIsRefusedWith401AndAChallenge) {
  auto service = start({}, {"--role", "api"});
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const json good_claims = {{"tenant_id", "acme"}, {"roles", {"viewer"}}};
  const auto claims = [&](json extra) {
    auto c = good_claims;
    c.update(extra);
    return c;
  };
  const std::vector<std::pair<std::string, std::string>> forged = {
      {"alg none", issuer_.mint({{"alg", "none"}, {"claims", good_claims}})},
      {"HS256 keyed with the RSA public key", issuer_.mint({{"alg", "HS256-public"}, {"claims", good_claims}})},
      {"expired", issuer_.mint({{"claims", claims({{"exp", now - 120}})}})},
      {"not yet valid", issuer_.mint({{"claims", claims({{"nbf", now + 3600}})}})},
      {"issued in the future", issuer_.mint({{"claims", claims({{"iat", now + 3600}})}})},
      {"wrong audience", issuer_.mint({{"claims", claims({{"aud", "another-service"}})}})},
      {"wrong issuer", issuer_.mint({{"claims", claims({{"iss", "https://evil.test"}})}})},
      {"unknown kid", issuer_.mint({{"kid", "no-such-key"}, {"claims", good_claims}})},
      {"no expiry", issuer_.mint({{"claims", claims({{"exp", nullptr}})}})},
      {"no tenant", issuer_.mint({{"claims", claims({{"tenant_id", nullptr}})}})},
      {"a tenant that is not an id", issuer_.mint({{"claims", claims({{"tenant_id", "../other"}})}})},
      {"ES256 header on the RSA key", issuer_.mint({{"alg", "ES256"}, {"kid", "rsa-1"}, {"claims", good_claims}})},
      {"garbage", "not.a.token"},
      {"huge", std::string(9000, 'a') + "." + std::string(10, 'b') + "." + std::string(10, 'c')},
  };
  for (const auto& [what, token] : forged) {
    ASSERT_FALSE(token.empty()) << what;
    const auto reply = call("GET", "/v1/jobs", token);
    EXPECT_EQ(reply.status, 401) << what << ": " << reply.text;
    EXPECT_NE(reply.headers.at("www-authenticate").find("error=\"invalid_token\""), std::string::npos) << what;
  }
  // A signature from the right key over a changed payload.
  auto token = issuer_.token("acme", {"viewer"});
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  const auto payload = issuer_.token("acme", {"admin"});
  const auto tampered =
      token.substr(0, first) +
      payload.substr(payload.find('.'), payload.find('.', payload.find('.') + 1) - payload.find('.')) +
      token.substr(second);
  EXPECT_EQ(call("GET", "/v1/jobs", tampered).status, 401);

  const auto missing = http("GET", port_, "/v1/jobs");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.headers.at("www-authenticate"), R"(Bearer realm="stream-transcoding")");
  EXPECT_EQ(http("GET", port_, "/v1/jobs", "", {"Authorization: Basic dXNlcjpwYXNz"}).status, 401);
  // The genuine tokens of both accepted algorithms pass.
  EXPECT_EQ(call("GET", "/v1/jobs", issuer_.token("acme", {"viewer"})).status, 200);
  EXPECT_EQ(call("GET", "/v1/jobs", issuer_.mint({{"alg", "ES256"}, {"kid", "ec-1"}, {"claims", good_claims}})).status,
            200);
}

TEST_F(ApiTest, AFloodOfUnknownKeyIdsCostsOneJwksFetch) {
  auto service = start({"ST_AUTH__JWKS_MIN_REFRESH_SECONDS=60"}, {"--role", "api"});
  const json claims = {{"tenant_id", "acme"}, {"roles", {"viewer"}}};
  EXPECT_EQ(call("GET", "/v1/jobs", issuer_.mint({{"claims", claims}})).status, 200);
  const auto before = issuer_.jwks_fetches();
  for (int i = 0; i < 40; ++i) {
    const auto token = issuer_.mint({{"kid", fmt::format("made-up-{}", i)}, {"claims", claims}});
    EXPECT_EQ(call("GET", "/v1/jobs", token).status, 401);
  }
  EXPECT_LE(issuer_.jwks_fetches() - before, 1) << "each unknown kid fetched the JWKS again";
}

TEST_F(ApiTest, ARotatedKeyIsAcceptedOnceTheJwksHasIt) {
  auto service = start({}, {"--role", "api"});
  EXPECT_EQ(call("GET", "/v1/jobs", issuer_.token("acme", {"viewer"})).status, 200);
  const auto kid = issuer_.rotate();
  ASSERT_EQ(kid, "rsa-2");
  const json claims = {{"tenant_id", "acme"}, {"roles", {"viewer"}}};
  // Within the refresh throttle (1 s here) the new key arrives.
  EXPECT_TRUE(eventually(
      [&] {
        return call("GET", "/v1/jobs", issuer_.mint({{"kid", kid}, {"claims", claims}})).status == 200;
      },
      5s));
}

TEST_F(ApiTest, ATenantNeitherSeesNorTouchesAnotherTenantsJobs) {
  // With the status cache: a job cached for its tenant is still another tenant's 404.
  testing::RedisServer redis;
  auto service = start({"ST_REDIS__URL=" + redis.url()}, {"--role", "api"});
  const auto a = issuer_.token("tenant-a", {"operator"});
  const auto b = issuer_.token("tenant-b", {"operator"});
  const auto id = create_job(a, "video-a");
  ASSERT_EQ(call("GET", "/v1/jobs/" + id, a).status, 200);
  ASSERT_EQ(redis.cli("EXISTS st:job:" + id), "1\n") << "the job was not cached";
  const auto unknown = "00000000-0000-0000-0000-000000000000";
  for (const auto& path : {"/v1/jobs/" + id, std::string("/v1/jobs/") + unknown}) {
    const auto got = call("GET", path, b);
    EXPECT_EQ(got.status, 404) << got.text;
    EXPECT_EQ(call("POST", path + "/cancel", b).status, 404);
    EXPECT_EQ(call("POST", path + "/retry", b).status, 404);
    EXPECT_EQ(call("GET", path + "/events", b).status, 404);
    EXPECT_EQ(call("GET", path + "/events", "").status, 401);
  }
  // The same 404 body whether the job exists elsewhere or nowhere, but for the id.
  const auto elsewhere = call("GET", "/v1/jobs/" + id, b).body["detail"].get<std::string>();
  const auto nowhere = call("GET", std::string("/v1/jobs/") + unknown, b).body["detail"].get<std::string>();
  EXPECT_EQ(elsewhere.substr(0, elsewhere.find('\'')), nowhere.substr(0, nowhere.find('\'')));
  EXPECT_TRUE(call("GET", "/v1/jobs", b).body["jobs"].empty());
  EXPECT_EQ(call("GET", "/v1/jobs", a).body["jobs"].size(), 1U);
  // B cannot create for A, and a body cannot set what the service decides.
  const auto for_a =
      call("POST", "/v1/jobs", b, R"({"tenantId":"tenant-a","videoId":"x","source":{"key":"short_2s.mp4"}})");
  EXPECT_EQ(for_a.status, 403) << for_a.text;
  for (const auto* field : {R"("status":"succeeded")", R"("outputPrefix":"tenant-a/")", R"("id":"x")"}) {
    const auto reply =
        call("POST", "/v1/jobs", b, fmt::format(R"({{"videoId":"y","source":{{"key":"short_2s.mp4"}},{}}})", field));
    EXPECT_EQ(reply.status, 400) << field << ": " << reply.text;
  }
  // Nor can a query.
  EXPECT_EQ(call("GET", "/v1/jobs?tenantId=tenant-a", b).status, 400);
  EXPECT_EQ(scalar("SELECT count(*) FROM jobs WHERE tenant_id = 'tenant-b'"), "0");
}

TEST_F(ApiTest, PagesOf37SeeEveryJobOnceWhile200MoreAreInserted) {
  auto service = start({}, {"--role", "api"});
  pqxx::connection db(conninfo_);
  pqxx::nontransaction(db).exec(
      "INSERT INTO jobs (tenant_id, video_id, source_key, created_at)"
      " SELECT 'acme', 'v' || i, 'k', now() - make_interval(secs => i % 50) FROM generate_series(1, 1000) i");
  std::set<std::string> originals;
  for (const auto& row : pqxx::nontransaction(db).exec("SELECT id::text FROM jobs")) originals.insert(row[0].c_str());
  ASSERT_EQ(originals.size(), 1000U);

  std::atomic<bool> listing{true};
  std::jthread inserter([&] {
    pqxx::connection c(conninfo_);
    for (int i = 0; i < 200 && listing; ++i) {
      pqxx::nontransaction(c).exec_params("INSERT INTO jobs (tenant_id, video_id, source_key) VALUES ('acme', $1, 'k')",
                                          fmt::format("new-{}", i));
      std::this_thread::sleep_for(2ms);
    }
  });
  const auto token = issuer_.token("acme", {"viewer"}, "lister");
  std::map<std::string, int> seen;
  std::string cursor;
  int pages = 0;
  do {
    const auto reply = call("GET", "/v1/jobs?limit=37" + (cursor.empty() ? "" : "&cursor=" + cursor), token);
    ASSERT_EQ(reply.status, 200) << reply.text;
    EXPECT_LE(reply.body["jobs"].size(), 37U);
    for (const auto& job : reply.body["jobs"]) ++seen[job["id"].get<std::string>()];
    cursor = reply.body["nextCursor"].is_string() ? reply.body["nextCursor"].get<std::string>() : "";
    ASSERT_LT(++pages, 100);
  } while (!cursor.empty());
  listing = false;
  for (const auto& id : originals) EXPECT_EQ(seen[id], 1) << id;
  for (const auto& [id, count] : seen) EXPECT_EQ(count, 1) << id;

  // A cursor belongs to its listing: not to another filter, another tenant, or anyone's edits.
  const auto first = call("GET", "/v1/jobs?limit=5", token).body["nextCursor"].get<std::string>();
  EXPECT_EQ(call("GET", "/v1/jobs?limit=5&status=failed&cursor=" + first, token).status, 400);
  EXPECT_EQ(call("GET", "/v1/jobs?limit=5&cursor=" + first, issuer_.token("other", {"viewer"})).status, 400);
  auto forged = first;
  forged[2] = forged[2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(call("GET", "/v1/jobs?limit=5&cursor=" + forged, token).status, 400);
  // Filters, and bad ones named.
  const auto by_video = call("GET", "/v1/jobs?videoId=v7", token);
  ASSERT_EQ(by_video.body["jobs"].size(), 1U) << by_video.text;
  EXPECT_EQ(by_video.body["jobs"][0]["videoId"], "v7");
  EXPECT_EQ(call("GET", "/v1/jobs?status=queued&status=running&limit=200", token).body["jobs"].size(), 200U);
  for (const auto* bad :
       {"limit=0", "limit=201", "limit=abc", "status=done", "createdAfter=yesterday", "colour=red", "videoId=..%2F"}) {
    const auto reply = call("GET", std::string("/v1/jobs?") + bad, token);
    EXPECT_EQ(reply.status, 400) << bad << ": " << reply.text;
  }
  const auto window =
      call("GET", "/v1/jobs?createdAfter=2000-01-01T00:00:00Z&createdBefore=2000-01-02T00:00:00Z", token);
  EXPECT_EQ(window.status, 200);
  EXPECT_TRUE(window.body["jobs"].empty());
}

TEST_F(ApiTest, CancellingARunning1080pJobStopsFfmpegWithinTwoSecondsAndAnnouncesItOnce) {
  const std::string topic = "transcoding-service.video-transcoded";
  testing::KafkaBroker broker;
  auto service = start({"ST_KAFKA__BOOTSTRAP_SERVERS=" + broker.bootstrap()});
  const auto op = issuer_.token("acme", {"operator"});
  const auto id = create_job(op, "long-video", "long_1080p", json::array({"1080p", "720p", "360p"}));
  const auto in_ffmpeg = [&] {
    auto run = run_captured({.argv = {"pgrep", "-f", "job-" + id}}, 1 << 16);
    return run && !run->stdout_text.empty();
  };
  ASSERT_TRUE(
      eventually([&] { return in_ffmpeg() && call("GET", "/v1/jobs/" + id, op).body["status"] == "running"; }, 60s))
      << call("GET", "/v1/jobs/" + id, op).text << service->log();
  std::this_thread::sleep_for(500ms);  // well into the encode

  const auto cancelled = call("POST", "/v1/jobs/" + id + "/cancel", op);
  const auto asked = std::chrono::steady_clock::now();
  ASSERT_EQ(cancelled.status, 200) << cancelled.text;
  EXPECT_EQ(cancelled.body["status"], "cancelled");
  EXPECT_TRUE(eventually([&] { return !in_ffmpeg(); }, 2s)) << "ffmpeg still runs 2 s after the cancel";
  EXPECT_LE(std::chrono::steady_clock::now() - asked, 2500ms);
  const auto scratch_of_job = [&] {
    for (const auto& entry : fs::recursive_directory_iterator(scratch_)) {
      if (entry.path().filename().string().starts_with("job-" + id)) return true;
    }
    return false;
  };
  EXPECT_TRUE(eventually([&] { return !scratch_of_job(); }, 2s)) << "the job's scratch was left behind";
  // The worker records nothing over the cancellation, and publishes nothing.
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(call("GET", "/v1/jobs/" + id, op).body["status"], "cancelled");
  EXPECT_FALSE(fs::exists(outputs_ / "acme" / "long-video"));
  // One VideoTranscoded event, saying cancelled, published.
  // (Its progress events, on their own topic, are not outcomes.)
  const auto outcome_rows = fmt::format("FROM outbox WHERE job_id = '{}' AND topic = '{}'", id, topic);
  EXPECT_EQ(scalar("SELECT count(*) " + outcome_rows), "1");
  EXPECT_EQ(scalar("SELECT payload::json->>'status' " + outcome_rows), "cancelled");
  EXPECT_TRUE(
      eventually([&] { return scalar("SELECT count(*) " + outcome_rows + " AND sent_at IS NOT NULL") == "1"; }, 20s));
  const auto events = broker.read_all(topic);
  ASSERT_EQ(events.size(), 1U);
  const auto event = json::parse(events[0].value);
  EXPECT_EQ(event["jobId"], id);
  EXPECT_EQ(event["status"], "cancelled");
  EXPECT_EQ(event["failure"]["code"], "cancelled");
  EXPECT_EQ(call("POST", "/v1/jobs/" + id + "/cancel", op).status, 409);
}

TEST_F(ApiTest, ADeadJobRetriedRunsAgainAndSucceeds) {
  auto service = start();
  const auto op = issuer_.token("acme", {"operator"});
  const auto id = create_job(op, "video-dead");
  ASSERT_TRUE(eventually([&] { return call("GET", "/v1/jobs/" + id, op).body["status"] == "succeeded"; }, 60s));
  EXPECT_EQ(call("POST", "/v1/jobs/" + id + "/retry", op).status, 409) << "a succeeded job is final";
  // As a job looks after its last attempt failed for reasons outside the input.
  pqxx::connection db(conninfo_);
  pqxx::nontransaction(db).exec_params(
      "UPDATE jobs SET status = 'dead', attempt = max_attempts, error_code = 'unavailable',"
      " error_message = 'storage down', result = NULL WHERE id = $1::uuid",
      id);
  const auto retried = call("POST", "/v1/jobs/" + id + "/retry", op);
  ASSERT_EQ(retried.status, 200) << retried.text;
  EXPECT_EQ(retried.body["status"], "queued");
  EXPECT_EQ(retried.body["attempt"], 0);
  ASSERT_TRUE(eventually([&] { return call("GET", "/v1/jobs/" + id, op).body["status"] == "succeeded"; }, 60s))
      << call("GET", "/v1/jobs/" + id, op).text;
  const auto job = call("GET", "/v1/jobs/" + id, op).body;
  EXPECT_EQ(job["attempt"], 1);
  EXPECT_EQ(job["progress"], 100);
  // A run of its own: the new outputs are beside the first run's, not over them.
  EXPECT_NE(job["outputPrefix"].get<std::string>().find("/run-"), std::string::npos);
  EXPECT_TRUE(fs::exists(outputs_ / job["outcome"]["masterPlaylistKey"].get<std::string>()));
  // The caller who only knows the video finds it.
  const auto found = call("GET", "/v1/jobs?videoId=video-dead", op);
  ASSERT_EQ(found.body["jobs"].size(), 1U);
  EXPECT_EQ(found.body["jobs"][0]["id"], id);
}

TEST_F(ApiTest, ATenantPolicyShapesItsJobsAndRefusesWhatItForbidsNamingTheLimit) {
  auto service = start();
  const auto admin = issuer_.token("ops", {"admin"});
  const auto op = issuer_.token("acme", {"operator"});
  const auto put = call("PUT", "/v1/tenants/acme/policy", admin,
                        R"({"topRung":"360p","maxDurationSeconds":60,"maxRunningJobs":2,"segmentSeconds":2})");
  ASSERT_EQ(put.status, 200) << put.text;
  EXPECT_EQ(put.body["topRung"], "360p");
  EXPECT_EQ(call("GET", "/v1/tenants/acme/policy", admin).body["maxRunningJobs"], 2);
  for (const auto* bad : {R"({"topRung":"9000p"})", R"({"maxRunningJobs":-1})", R"({"colour":"red"})",
                          R"({"tenantId":"other"})", R"({"segmentSeconds":"2"})", R"([1])"}) {
    EXPECT_EQ(call("PUT", "/v1/tenants/acme/policy", admin, bad).status, 400) << bad;
  }
  // Every rendition at most the top rung.
  const auto id = create_job(op, "capped", "short_2s", json::array());
  ASSERT_TRUE(eventually([&] { return call("GET", "/v1/jobs/" + id, op).body["status"] == "succeeded"; }, 60s))
      << call("GET", "/v1/jobs/" + id, op).text;
  const auto job = call("GET", "/v1/jobs/" + id, op).body;
  ASSERT_FALSE(job["outcome"]["renditions"].empty());
  for (const auto& r : job["outcome"]["renditions"]) EXPECT_LE(r["height"].get<int>(), 360) << r.dump();

  // A source beyond a limit fails with a reason that names it.
  ASSERT_EQ(call("PUT", "/v1/tenants/acme/policy", admin, R"({"maxDurationSeconds":1})").status, 200);
  const auto too_long = create_job(op, "too-long", "short_2s");
  ASSERT_TRUE(eventually([&] { return call("GET", "/v1/jobs/" + too_long, op).body["status"] == "failed"; }, 60s));
  const auto failed = call("GET", "/v1/jobs/" + too_long, op).body;
  EXPECT_NE(failed["error"]["message"].get<std::string>().find("maxDurationSeconds"), std::string::npos)
      << failed.dump();
}

// A tenant whose policy encrypts gets encrypted outputs with key IDs in its
// outcome (never keys); another tenant's outputs stay in the clear. Refused:
// a policy FairPlay cannot honour.
TEST_F(ApiTest, ATenantPolicyThatEncryptsGetsKeyIdsInItsOutcome) {
  const std::string keys =
      R"({"keys":[{"trackType":"ALL","kid":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","key":"1f2e3d4c5b6a79889706a5b4c3d2e1f0"}]})";
  auto service = start(
      {"ST_DRM__KEY_PROVIDER=static", "ST_DRM__STATIC_KEYS=" + keys, std::string("ST_DRM__PACKAGER=") + ST_PACKAGER});
  const auto admin = issuer_.token("ops", {"admin"});
  const auto op = issuer_.token("studio", {"operator"});
  const auto other = issuer_.token("indie", {"operator"});
  const auto refused =
      call("PUT", "/v1/tenants/studio/policy", admin, R"({"drm":{"scheme":"cenc","systems":["fairplay"]}})");
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.text.find("FairPlay needs the cbcs scheme"), std::string::npos) << refused.text;
  const auto put = call("PUT", "/v1/tenants/studio/policy", admin,
                        R"({"segmentSeconds":2,"drm":{"scheme":"cbcs","systems":["widevine","fairplay"]}})");
  ASSERT_EQ(put.status, 200) << put.text;
  EXPECT_EQ(call("GET", "/v1/tenants/studio/policy", admin).body["drm"]["systems"],
            json::array({"widevine", "fairplay"}));

  const auto encrypted = create_job(op, "protected", "short_2s", json::array({"360p"}));
  const auto clear = create_job(other, "open", "short_2s", json::array({"360p"}));
  for (const auto& [id, token] : {std::pair{encrypted, op}, std::pair{clear, other}}) {
    ASSERT_TRUE(eventually([&] { return call("GET", "/v1/jobs/" + id, token).body["status"] == "succeeded"; }, 90s))
        << call("GET", "/v1/jobs/" + id, token).text;
  }
  const auto outcome = call("GET", "/v1/jobs/" + encrypted, op);
  const auto& rendition = outcome.body["outcome"]["renditions"][0];
  EXPECT_EQ(rendition["encryption"],
            json::parse(R"({"scheme":"cbcs","keyId":"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0","keyType":"VIDEO",)"
                        R"("systems":["widevine","fairplay"]})"))
      << outcome.text;
  EXPECT_EQ(outcome.body["outcome"]["audio"][0]["encryption"]["keyType"], "AUDIO");
  EXPECT_EQ(outcome.text.find("1f2e3d4c5b6a79889706a5b4c3d2e1f0"), std::string::npos);
  EXPECT_FALSE(call("GET", "/v1/jobs/" + clear, other).body["outcome"]["renditions"][0].contains("encryption"));
  // Scored from the clear segments, before they were encrypted.
  EXPECT_GT(rendition["quality"]["mean"]["psnr"].get<double>(), 25) << outcome.text;
}

// A tenant whose policy asks for the HDR ladder gets, for an HDR master, HEVC
// renditions beside the SDR ones, and the outcome says which is which.
TEST_F(ApiTest, ATenantPolicyThatAsksForTheHdrLadderGetsHevcRenditionsOfAnHdrMaster) {
  auto service = start();
  const auto admin = issuer_.token("ops", {"admin"});
  const auto op = issuer_.token("studio", {"operator"});
  EXPECT_EQ(call("PUT", "/v1/tenants/studio/policy", admin, R"({"hdrLadder":"yes"})").status, 400);
  const auto put = call("PUT", "/v1/tenants/studio/policy", admin, R"({"hdrLadder":true,"segmentSeconds":2})");
  ASSERT_EQ(put.status, 200) << put.text;
  EXPECT_EQ(call("GET", "/v1/tenants/studio/policy", admin).body["hdrLadder"], true);
  const auto id = create_job(op, "graded", "hdr10_pq", json::array({"720p"}));
  ASSERT_TRUE(eventually([&] { return call("GET", "/v1/jobs/" + id, op).body["status"] == "succeeded"; }, 90s))
      << call("GET", "/v1/jobs/" + id, op).text;
  const auto renditions = call("GET", "/v1/jobs/" + id, op).body["outcome"]["renditions"];
  ASSERT_EQ(renditions.size(), 2U) << renditions.dump();
  EXPECT_EQ(renditions[0]["name"], "720p");
  EXPECT_EQ(renditions[0]["videoRange"], "SDR");
  EXPECT_EQ(renditions[1]["name"], "720p-hdr");
  EXPECT_EQ(renditions[1]["videoRange"], "PQ");
  EXPECT_TRUE(renditions[1]["codecs"].get<std::string>().starts_with("hvc1.2.4.")) << renditions.dump();
  // The SDR rung is scored against the tone-mapped source; the HDR ladder is not scored.
  EXPECT_GT(renditions[0]["quality"]["mean"]["psnr"].get<double>(), 25) << renditions.dump();
  EXPECT_FALSE(renditions[1].contains("quality")) << renditions.dump();
}

// Scores are on by default, in the outcome of every SDR rendition; a tenant's
// policy can switch them off for its own jobs only.
TEST_F(ApiTest, QualityScoresAreInTheOutcomeUnlessTheTenantsPolicySwitchesThemOff) {
  auto service = start();
  const auto admin = issuer_.token("ops", {"admin"});
  const auto op = issuer_.token("studio", {"operator"});
  const auto other = issuer_.token("indie", {"operator"});
  EXPECT_EQ(call("PUT", "/v1/tenants/studio/policy", admin, R"({"qualityScores":"off"})").status, 400);
  const auto put = call("PUT", "/v1/tenants/studio/policy", admin, R"({"qualityScores":false})");
  ASSERT_EQ(put.status, 200) << put.text;
  EXPECT_EQ(put.body["qualityScores"], false);
  EXPECT_TRUE(call("GET", "/v1/tenants/indie/policy", admin).body["qualityScores"].is_null());

  const auto unscored = create_job(op, "unscored", "short_2s", json::array({"360p", "240p"}));
  const auto scored = create_job(other, "scored", "short_2s", json::array({"360p", "240p"}));
  for (const auto& [id, token] : {std::pair{unscored, op}, std::pair{scored, other}}) {
    ASSERT_TRUE(eventually([&] { return call("GET", "/v1/jobs/" + id, token).body["status"] == "succeeded"; }, 90s))
        << call("GET", "/v1/jobs/" + id, token).text;
  }
  const auto unscored_job = call("GET", "/v1/jobs/" + unscored, op);
  ASSERT_EQ(unscored_job.body["outcome"]["renditions"].size(), 2U) << unscored_job.text;
  for (const auto& r : unscored_job.body["outcome"]["renditions"]) {
    EXPECT_FALSE(r.contains("quality")) << r.dump();
  }
  const auto renditions = call("GET", "/v1/jobs/" + scored, other).body["outcome"]["renditions"];
  ASSERT_EQ(renditions.size(), 2U);
  for (const auto& r : renditions) {
    EXPECT_GT(r["quality"]["frames"].get<int>(), 0) << r.dump();
    EXPECT_GT(r["quality"]["mean"]["ssim"].get<double>(), 0.5) << r.dump();
  }
  EXPECT_GT(renditions[0]["quality"]["mean"]["psnr"].get<double>(),
            renditions[1]["quality"]["mean"]["psnr"].get<double>())
      << renditions.dump();
}

// A tenant's policy chooses the per-title ladder and bounds its rates; its
// jobs are fitted within them, other tenants' keep the fixed ladder.
TEST_F(ApiTest, ATenantPolicyAsksForThePerTitleLadderWithinItsCeiling) {
  auto service = start();
  const auto admin = issuer_.token("ops", {"admin"});
  const auto op = issuer_.token("studio", {"operator"});
  const auto other = issuer_.token("indie", {"operator"});
  for (const char* refused :
       {R"({"ladder":"content-aware"})", R"({"ladder":7})", R"({"bitrateCeiling":"1"})", R"({"bitrateCeiling":5})",
        R"({"bitrateFloor":0})", R"({"bitrateFloor":0.9,"bitrateCeiling":0.5})"}) {
    EXPECT_EQ(call("PUT", "/v1/tenants/studio/policy", admin, refused).status, 400) << refused;
  }
  const auto put = call("PUT", "/v1/tenants/studio/policy", admin,
                        R"({"ladder":"per-title","bitrateFloor":0.05,"bitrateCeiling":0.25})");
  ASSERT_EQ(put.status, 200) << put.text;
  EXPECT_EQ(put.body["ladder"], "per-title");
  EXPECT_EQ(put.body["bitrateCeiling"], 0.25);
  EXPECT_TRUE(call("GET", "/v1/tenants/indie/policy", admin).body["ladder"].is_null());

  const auto fitted = create_job(op, "fitted", "short_2s", json::array({"360p"}));
  const auto fixed = create_job(other, "fixed", "short_2s", json::array({"360p"}));
  for (const auto& [id, token] : {std::pair{fitted, op}, std::pair{fixed, other}}) {
    ASSERT_TRUE(eventually([&] { return call("GET", "/v1/jobs/" + id, token).body["status"] == "succeeded"; }, 90s))
        << call("GET", "/v1/jobs/" + id, token).text;
  }
  const auto fitted_rendition = call("GET", "/v1/jobs/" + fitted, op).body["outcome"]["renditions"][0];
  const auto fixed_rendition = call("GET", "/v1/jobs/" + fixed, other).body["outcome"]["renditions"][0];
  // The fixed 360p rung peaks at 1200 kbit/s; within a ceiling of a quarter, at 300.
  EXPECT_LT(fitted_rendition["averageBitRate"].get<double>(), 0.6 * fixed_rendition["averageBitRate"].get<double>())
      << fitted_rendition.dump() << fixed_rendition.dump();
  EXPECT_LE(fitted_rendition["averageBitRate"].get<double>(), 300000 * 1.1) << fitted_rendition.dump();
}

TEST_F(ApiTest, TheEleventhRequestOfATenBySecondPolicyGets429WithRetryAfter) {
  auto service = start({}, {"--role", "api"});
  ASSERT_EQ(
      call("PUT", "/v1/tenants/busy/policy", issuer_.token("ops", {"admin"}), R"({"requestsPerSecond":10})").status,
      200);
  // Twenty requests on one kept-alive connection, a few milliseconds in all
  // on an idle machine: the first ten pass, the eleventh is refused. On a slow
  // one the bucket refills meanwhile (ten a second), and the first refusal may
  // come that many requests later, never sooner.
  const auto token = issuer_.token("busy", {"viewer"});
  const auto headers = fs::temp_directory_path() / fmt::format("st-rate-{}", database_);
  std::vector<std::string> argv = {"curl",           "-s", "-m",         "10", "-D", headers.string(), "-w",
                                   "%{http_code}\n", "-H", bearer(token)};
  for (int i = 0; i < 20; ++i) {
    argv.insert(argv.end(), {"-o", "/dev/null", fmt::format("http://127.0.0.1:{}/v1/jobs?limit=1", port_)});
  }
  const auto started = std::chrono::steady_clock::now();
  auto run = run_captured({.argv = argv}, 1 << 16);
  const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_TRUE(run.has_value());
  std::vector<int> statuses;
  std::istringstream lines(run->stdout_text);
  for (std::string line; std::getline(lines, line);) statuses.push_back(std::atoi(line.c_str()));
  ASSERT_EQ(statuses.size(), 20U) << run->stdout_text;
  const auto first_refusal = std::find(statuses.begin(), statuses.end(), 429) - statuses.begin();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(statuses[i], 200) << "request " << i + 1;
  EXPECT_GE(first_refusal, 10);
  EXPECT_LE(first_refusal, 10 + static_cast<long>(std::ceil(elapsed * 10))) << elapsed << " s";
  if (elapsed < 0.1) {
    EXPECT_EQ(statuses[10], 429) << "the eleventh request";
  }
  std::ifstream in(headers);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::remove(headers);
  const auto last = all.rfind("HTTP/1.1");
  const auto final_headers = all.substr(last);
  EXPECT_NE(final_headers.find("429"), std::string::npos) << final_headers;
  EXPECT_NE(final_headers.find("Retry-After: 1"), std::string::npos) << final_headers;
  EXPECT_NE(final_headers.find("RateLimit-Limit: 10"), std::string::npos) << final_headers;
  EXPECT_NE(final_headers.find("RateLimit-Remaining: 0"), std::string::npos) << final_headers;
  // Another tenant is not slowed by it.
  EXPECT_EQ(call("GET", "/v1/jobs", issuer_.token("calm", {"viewer"})).status, 200);
  // And the bucket refills.
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(call("GET", "/v1/jobs", token).status, 200);
}

TEST_F(ApiTest, ServesItsOpenApiDocumentAndSwaggerUi) {
  auto service = start({}, {"--role", "api"});
  const auto document = http("GET", port_, "/openapi.json");
  ASSERT_EQ(document.status, 200);
  EXPECT_EQ(document.body["openapi"], "3.1.0");
  EXPECT_TRUE(document.body["paths"].contains("/v1/jobs/{id}/cancel"));
  // What the binary serves is a valid OpenAPI 3.1 document by redocly's rules.
  const auto file = fs::temp_directory_path() / fmt::format("st-openapi-{}.json", database_);
  std::ofstream(file) << document.text;
  auto lint =
      run_captured({.argv = {"node", ST_REDOCLY, "lint", "--config", ST_REDOCLY_CONFIG, file.string()}}, 1 << 20);
  fs::remove(file);
  ASSERT_TRUE(lint.has_value());
  EXPECT_EQ(lint->result.exit_code, 0) << lint->stdout_text << lint->result.stderr_tail;

  const auto page = http("GET", port_, "/docs");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.text.find("swagger-ui-bundle.js"), std::string::npos);
  const auto bundle = http("GET", port_, "/docs/swagger-ui-bundle.js");
  EXPECT_EQ(bundle.status, 200);
  EXPECT_GT(bundle.text.size(), 100000U);
  EXPECT_EQ(http("GET", port_, "/docs/package.json").status, 404);
  EXPECT_EQ(http("GET", port_, "/docs/..%2F..%2Fpackage.json").status, 404);
}

TEST_F(ApiTest, EveryAnswerCarriesARequestIdAndEchoesASafeOne) {
  auto service = start({}, {"--role", "api"});
  const auto token = issuer_.token("acme", {"viewer"});
  const auto echoed = http("GET", port_, "/v1/jobs", "", {bearer(token), "X-Request-Id: req-123.abc"});
  EXPECT_EQ(echoed.headers.at("x-request-id"), "req-123.abc");
  const auto replaced = http("GET", port_, "/v1/jobs", "", {bearer(token), "X-Request-Id: <script>"});
  EXPECT_NE(replaced.headers.at("x-request-id"), "<script>");
  EXPECT_EQ(replaced.headers.at("x-request-id").size(), 32U);
  EXPECT_FALSE(http("GET", port_, "/v1/jobs").headers.at("x-request-id").empty()) << "even on a 401";
}

}  // namespace
}  // namespace st

namespace st {
namespace {

// Reports from jobs whose facts are known: two tenants, a failure, quality per rung.
class ReportsTest : public ApiTest {
 protected:
  // A job of `tenant` made at `created` that reached `status` `latency` seconds later. Made
  // running (with no lease), so that the service's worker never claims it.
  void finished_job(const std::string& tenant, const std::string& video, const std::string& created, int latency,
                    const std::string& status, const json& result) {
    const auto id = scalar(fmt::format(
        "INSERT INTO jobs (tenant_id, video_id, source_key, source_size, created_at, status) VALUES ('{}', '{}', 'k', "
        "1000, '{}', 'running') RETURNING id",
        tenant, video, created));
    scalar(
        fmt::format("UPDATE jobs SET status = '{}', finished_at = created_at + make_interval(secs => {}), "
                    "result = '{}'::jsonb WHERE id = '{}' RETURNING id",
                    status, latency, result.is_null() ? "null" : result.dump(), id));
  }

  static json outcome(double cpu, const std::vector<std::pair<std::string, double>>& psnr) {
    json renditions = json::array();
    int height = 720;
    for (const auto& [name, value] : psnr) {
      renditions.push_back(
          {{"name", name},
           {"width", height * 16 / 9},
           {"height", height},
           {"averageBitRate", height * 1000},
           {"sizeBytes", 100},
           {"quality", {{"frames", 30}, {"mean", {{"psnrY", value + 1}, {"psnr", value}, {"ssim", 0.9}}}}}});
      height /= 2;
    }
    return {{"bytes", 5000},
            {"durationSeconds", 60},
            {"timings",
             {{"fetchSeconds", 1},
              {"transcodeSeconds", 10},
              {"publishSeconds", 2},
              {"cpuSeconds", cpu},
              {"encodeSpeed", 6}}},
            {"renditions", renditions}};
  }
};

TEST_F(ReportsTest, TheSummaryAddsUpTheFactsOfTheCallersTenantsAndTheCsvHasARowPerJob) {
  auto service = start();
  finished_job("studio", "a", "2026-11-10T10:00:00Z", 10, "succeeded", outcome(30, {{"720p", 40}, {"360p", 34}}));
  finished_job("studio", "b", "2026-11-10T11:00:00Z", 30, "succeeded", outcome(90, {{"720p", 42}, {"360p", 36}}));
  finished_job("studio", "c", "2026-11-11T12:00:00Z", 50, "failed", nullptr);
  finished_job("indie", "d", "2026-11-10T10:00:00Z", 100, "succeeded", outcome(500, {{"720p", 30}}));
  finished_job("studio", "e", "2026-10-01T10:00:00Z", 5, "succeeded", outcome(1, {{"720p", 50}}));  // out of range
  const auto admin = issuer_.token("ops", {"admin"});
  const auto studio = issuer_.token("studio", {"viewer"});
  const auto indie = issuer_.token("indie", {"viewer"});

  const auto all = call("GET", "/v1/reports/summary?from=2026-11-01&to=2026-12-01&groupBy=tenant", admin);
  ASSERT_EQ(all.status, 200) << all.text;
  ASSERT_EQ(all.body["groups"].size(), 2U) << all.text;
  const auto& s = all.body["groups"][1];
  EXPECT_EQ(s["key"], "studio");
  EXPECT_EQ(s["jobs"], 3);
  EXPECT_EQ(s["succeeded"], 2);
  EXPECT_EQ(s["failed"], 1);
  EXPECT_NEAR(s["successRatio"].get<double>(), 2.0 / 3, 1e-3);
  EXPECT_NEAR(s["p50Seconds"].get<double>(), 30, 1e-6);                 // of 10, 30 and 50
  EXPECT_NEAR(s["p95Seconds"].get<double>(), 48, 1e-6);                 // interpolated
  EXPECT_NEAR(s["cpuSecondsPerOutputMinute"].get<double>(), 60, 1e-6);  // 120 CPU-s for 120 s of output
  EXPECT_NEAR(s["outputSeconds"].get<double>(), 120, 1e-6);
  ASSERT_EQ(s["quality"].size(), 2U) << s.dump();
  EXPECT_EQ(s["quality"][0]["rendition"], "720p");  // largest first
  EXPECT_NEAR(s["quality"][0]["psnr"].get<double>(), 41, 1e-6);
  EXPECT_NEAR(s["quality"][1]["psnr"].get<double>(), 35, 1e-6);
  EXPECT_EQ(all.body["groups"][0]["key"], "indie");
  EXPECT_NEAR(all.body["groups"][0]["cpuSecondsPerOutputMinute"].get<double>(), 500, 1e-6);

  // A viewer sees its own tenant only, whatever it asks.
  const auto own = call("GET", "/v1/reports/summary?from=2026-11-01&to=2026-12-01", studio);
  ASSERT_EQ(own.status, 200) << own.text;
  ASSERT_EQ(own.body["groups"].size(), 1U) << own.text;
  EXPECT_EQ(own.body["groups"][0]["key"], "studio");
  EXPECT_EQ(own.text.find("indie"), std::string::npos);
  const auto other = call("GET", "/v1/reports/summary?from=2026-11-01&to=2026-12-01", indie);
  ASSERT_EQ(other.body["groups"].size(), 1U);
  EXPECT_EQ(other.body["groups"][0]["jobs"], 1);

  const auto by_day = call("GET", "/v1/reports/summary?from=2026-11-01&to=2026-12-01&groupBy=day", studio);
  ASSERT_EQ(by_day.body["groups"].size(), 2U) << by_day.text;
  EXPECT_EQ(by_day.body["groups"][0]["key"], "2026-11-10");
  EXPECT_EQ(by_day.body["groups"][0]["jobs"], 2);
  const auto by_profile = call("GET", "/v1/reports/summary?from=2026-11-01&to=2026-12-01&groupBy=profile", admin);
  ASSERT_EQ(by_profile.body["groups"].size(), 2U) << by_profile.text;
  EXPECT_EQ(by_profile.body["groups"][1]["key"], "720p");
  EXPECT_EQ(by_profile.body["groups"][1]["jobs"], 3);  // two of studio's, one of indie's
  EXPECT_NEAR(by_profile.body["groups"][1]["quality"][0]["psnr"].get<double>(), (40 + 42 + 30) / 3.0, 1e-2);

  // Parts of days come from the facts, whole days from the daily roll-up: both agree.
  const auto partial = call("GET", "/v1/reports/summary?from=2026-11-10T10:30:00Z&to=2026-11-11", studio);
  ASSERT_EQ(partial.body["groups"].size(), 1U) << partial.text;
  EXPECT_EQ(partial.body["groups"][0]["jobs"], 1);  // b; not a, which finished at 10:00:10
  EXPECT_NEAR(partial.body["groups"][0]["quality"][0]["psnr"].get<double>(), 42, 1e-6) << partial.text;
  const auto within = call("GET", "/v1/reports/summary?from=2026-11-10T09:00:00Z&to=2026-11-10T10:30:00Z", studio);
  EXPECT_NEAR(within.body["groups"][0]["quality"][0]["psnr"].get<double>(), 40, 1e-6) << within.text;
  EXPECT_EQ(within.body["groups"][0]["quality"][0]["renditions"], 1) << within.text;

  // jobs.csv: the header and a row per job of the caller's tenants, in the range.
  const auto csv = call("GET", "/v1/reports/jobs.csv?from=2026-11-01&to=2026-12-01", studio);
  ASSERT_EQ(csv.status, 200) << csv.text;
  EXPECT_TRUE(csv.headers.at("content-type").starts_with("text/csv")) << csv.headers.at("content-type");
  EXPECT_TRUE(csv.text.starts_with("job_id,tenant_id,status,created_at,finished_at,")) << csv.text;
  EXPECT_EQ(std::count(csv.text.begin(), csv.text.end(), '\n'), 4) << csv.text;  // header + 3
  EXPECT_EQ(csv.text.find("indie"), std::string::npos);
  EXPECT_NE(csv.text.find(",failed,"), std::string::npos);
  const auto everyone = call("GET", "/v1/reports/jobs.csv?from=2026-10-01&to=2026-12-01", admin);
  EXPECT_EQ(std::count(everyone.text.begin(), everyone.text.end(), '\n'), 6) << everyone.text;  // header + 5

  // Hostile or wrong queries are refused by name.
  EXPECT_EQ(call("GET", "/v1/reports/summary?from=2026-12-01&to=2026-11-01", admin).status, 400);
  EXPECT_EQ(call("GET", "/v1/reports/summary?from=2026-02-30&to=2026-03-01", admin).status, 400);
  EXPECT_EQ(call("GET", "/v1/reports/summary?from=yesterday&to=2026-03-01", admin).status, 400);
  EXPECT_EQ(call("GET", "/v1/reports/summary?from=2026-01-01T00:00:00%2B01:00&to=2026-03-01", admin).status, 400);
  EXPECT_EQ(call("GET", "/v1/reports/summary?from=2026-01-01&to=2026-03-01&groupBy=video", admin).status, 400);
  EXPECT_EQ(call("GET", "/v1/reports/summary?from=2026-01-01&to=2026-03-01&tenant=indie", studio).status, 400);
  EXPECT_EQ(call("GET", "/v1/reports/jobs.csv?from=2026-01-01&to=2026-03-01&groupBy=day", admin).status, 400);
  EXPECT_EQ(call("GET", "/v1/reports/summary?from=2026-01-01&to=2026-03-01", "").status, 401);

  // A job retried and finished again counts once, with its new figures.
  const auto a = scalar("SELECT id FROM jobs WHERE video_id = 'a'");
  scalar(fmt::format("UPDATE jobs SET status = 'running' WHERE id = '{}' RETURNING id", a));
  scalar(
      fmt::format("UPDATE jobs SET status = 'succeeded', finished_at = '2026-11-10T10:00:10Z', result = '{}'::jsonb "
                  "WHERE id = '{}' RETURNING id",
                  outcome(30, {{"720p", 50}, {"360p", 34}}).dump(), a));
  const auto again = call("GET", "/v1/reports/summary?from=2026-11-01&to=2026-12-01", studio);
  EXPECT_EQ(again.body["groups"][0]["jobs"], 3) << again.text;
  EXPECT_NEAR(again.body["groups"][0]["quality"][0]["psnr"].get<double>(), 46, 1e-6) << again.text;
  EXPECT_EQ(again.body["groups"][0]["quality"][0]["renditions"], 2) << again.text;
}

}  // namespace
}  // namespace st
