// The management API's parts that need no server: base64url, cursors, query
// strings, rate limits, the JWKS reader, tenant policies, list queries, the
// job outcome's JSON and the OpenAPI document's YAML.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "auth/jwks.hpp"
#include "http/api_docs.hpp"
#include "http/cursor.hpp"
#include "http/jobs_api.hpp"
#include "http/query.hpp"
#include "http/rate_limiter.hpp"
#include "jobs/job_outcome.hpp"
#include "jobs/tenant_policy.hpp"
#include "util/base64.hpp"
#include "util/yaml_json.hpp"

namespace st {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

TEST(Base64Url, EncodesAndDecodesTheRfc4648Vectors) {
  // RFC 4648 section 10, without padding (section 5's alphabet is the same for these).
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64url_encode(plain), encoded);
    EXPECT_EQ(base64url_decode(encoded).value_or("?"), plain);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_FALSE(base64url_decode("Zg==").has_value()) << "padding";
  EXPECT_FALSE(base64url_decode("Z").has_value()) << "an impossible length";
  EXPECT_FALSE(base64url_decode("Zh").has_value()) << "non-zero leftover bits";
  EXPECT_FALSE(base64url_decode("Zm9v+").has_value()) << "the standard alphabet";
}

TEST(CursorCodec, RoundTripsAndRefusesForgeriesAndOtherListings) {
  const CursorCodec codec("key-1");
  const JobCursor cursor{"2026-11-26T18:00:00.123456Z", "0b1e6f58-8d3c-4c36-9d55-000000000001"};
  const auto text = codec.encode(cursor, "acme|queued,||");
  const auto back = codec.decode(text, "acme|queued,||");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->created_at, cursor.created_at);
  EXPECT_EQ(back->id, cursor.id);
  EXPECT_FALSE(codec.decode(text, "other|queued,||").has_value()) << "another tenant's listing";
  EXPECT_FALSE(CursorCodec("key-2").decode(text, "acme|queued,||").has_value()) << "another key";
  auto forged = text;
  forged[0] = forged[0] == 'M' ? 'N' : 'M';
  EXPECT_FALSE(codec.decode(forged, "acme|queued,||").has_value());
  EXPECT_FALSE(codec.decode("", "acme|queued,||").has_value());
  EXPECT_FALSE(codec.decode(std::string(300, 'a'), "acme|queued,||").has_value());
}

TEST(Query, DecodesPairsInOrderAndRefusesWhatIsNotAQuery) {
  const auto params = parse_query("status=queued&status=failed&videoId=a%2Bb&empty=&flag&x=1+2");
  ASSERT_TRUE(params.has_value());
  ASSERT_EQ(params->size(), 6U);
  EXPECT_EQ((*params)[1], (std::pair<std::string, std::string>{"status", "failed"}));
  EXPECT_EQ((*params)[2].second, "a+b");
  EXPECT_EQ((*params)[4], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ((*params)[5].second, "1 2");
  EXPECT_FALSE(parse_query("a=%zz").has_value());
  EXPECT_FALSE(parse_query("a=%4").has_value());
  EXPECT_FALSE(parse_query("a=%ff%fe").has_value()) << "not UTF-8";
  std::string many;
  for (int i = 0; i < 40; ++i) many += "a=1&";
  EXPECT_FALSE(parse_query(many).has_value());
  EXPECT_FALSE(parse_query("a=" + std::string(2000, 'x')).has_value());
}

TEST(ListQuery, ReadsFiltersAndNamesEachBadParameter) {
  const auto list = parse_list_query(
      "status=queued,running&status=dead&videoId=v-1&limit=37&"
      "createdAfter=2026-11-26T10:00:00.5%2B01:00&createdBefore=2026-11-27T00:00:00Z",
      200);
  ASSERT_TRUE(list.has_value()) << list.error().message;
  EXPECT_EQ(list->query.statuses.size(), 3U);
  EXPECT_EQ(list->query.video_id, "v-1");
  EXPECT_EQ(list->query.limit, 37);
  EXPECT_EQ(list->query.created_after, "2026-11-26T10:00:00.5+01:00");
  for (const auto* bad :
       {"limit=0", "limit=201", "limit=3x", "status=done", "createdAfter=2026-13-01T00:00:00Z",
        "createdAfter=2026-11-26", "createdBefore=2026-11-26T10:00:00", "tenantId=acme", "videoId=../x"}) {
    const auto refused = parse_list_query(bad, 200);
    EXPECT_FALSE(refused.has_value()) << bad;
  }
  EXPECT_NE(parse_list_query("limit=0&colour=red", 200).error().message.find("colour"), std::string::npos);
}

TEST(LocalRateLimiter, AllowsTheBurstThenRefillsAtTheRate) {
  LocalRateLimiter limiter;
  const RateLimit ten{.per_second = 10, .burst = 10};
  const auto start = LocalRateLimiter::Clock::now();
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.take_at("k", ten, start).allowed) << i;
  const auto refused = limiter.take_at("k", ten, start);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.limit, 10);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_NEAR(refused.retry_after_seconds, 0.1, 1e-6);
  EXPECT_TRUE(limiter.take_at("other", ten, start).allowed) << "keys are independent";
  EXPECT_TRUE(limiter.take_at("k", ten, start + 100ms).allowed);
  EXPECT_FALSE(limiter.take_at("k", ten, start + 100ms).allowed);
  EXPECT_EQ(limiter.take_at("k", ten, start + 5s).remaining, 9) << "full again, minus this one";
}

TEST(LocalRateLimiter, StaysBoundedUnderMadeUpKeys) {
  LocalRateLimiter limiter(100);
  const auto start = LocalRateLimiter::Clock::now();
  for (int i = 0; i < 10000; ++i) limiter.take_at("key-" + std::to_string(i), {.per_second = 1, .burst = 5}, start);
  // A key seen long ago is forgotten, which only ever errs towards allowing.
  EXPECT_TRUE(limiter.take_at("key-0", {.per_second = 1, .burst = 5}, start).allowed);
}

// RFC 7517 appendix A.1: an EC key for encryption (skipped: not a signing
// key) and an RSA signing key.
constexpr const char* kRfc7517Keys = R"({"keys":[
  {"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
   "y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM","use":"enc","kid":"1"},
  {"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
   "e":"AQAB","alg":"RS256","kid":"2011-04-29"}]})";

TEST(Jwks, ReadsTheRfc7517ExampleAndKeepsOnlySigningKeys) {
  const auto parsed = parse_jwks(kRfc7517Keys);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  ASSERT_EQ(parsed->keys.size(), 1U);
  EXPECT_EQ(parsed->keys[0].kid, "2011-04-29");
  EXPECT_EQ(parsed->keys[0].alg, "RS256");
  EXPECT_TRUE(parsed->keys[0].pem.starts_with("-----BEGIN PUBLIC KEY-----"));
  ASSERT_EQ(parsed->skipped.size(), 1U);
  EXPECT_NE(parsed->skipped[0].find("not a signing key"), std::string::npos);
}

TEST(Jwks, RefusesWhatIsNotAKeySetAndSkipsKeysItCannotUse) {
  for (const auto* bad : {"", "[]", R"({"keys":{}})", "{", R"({"keys":[)"})
    EXPECT_FALSE(parse_jwks(bad).has_value()) << bad;
  EXPECT_FALSE(parse_jwks(std::string(300000, ' ')).has_value()) << "larger than the bound";
  const auto odd = parse_jwks(R"({"keys":[
    {"kty":"oct","k":"c2VjcmV0","kid":"hmac"},
    {"kty":"RSA","n":"AQAB","e":"AQAB","kid":"short"},
    {"kty":"EC","crv":"P-521","x":"AA","y":"AA","kid":"curve"},
    {"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA","kid":"not-on-curve"},
    {"kty":"RSA","e":"AQAB"}, 7, null]})");
  ASSERT_TRUE(odd.has_value());
  EXPECT_TRUE(odd->keys.empty());
  EXPECT_EQ(odd->skipped.size(), 5U);
}

TEST(JwksCache, RefreshesForAnUnknownKidAtMostOncePerInterval) {
  int fetches = 0;
  JwksCache cache(
      [&]() -> Result<std::string> {
        ++fetches;
        return std::string(kRfc7517Keys);
      },
      std::chrono::seconds(60));
  EXPECT_TRUE(cache.find("2011-04-29").has_value());
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(cache.find("unknown-" + std::to_string(i)).has_value());
  EXPECT_EQ(fetches, 1);
}

TEST(JwksCache, AfterAFailedFetchTriesAgainSoonerButStillBounded) {
  int fetches = 0;
  bool up = false;
  JwksCache cache(
      [&]() -> Result<std::string> {
        ++fetches;
        if (!up) return fail(ErrorCode::kUnavailable, "the identity provider is down");
        return std::string(kRfc7517Keys);
      },
      std::chrono::seconds(3600));
  EXPECT_FALSE(cache.refresh().has_value());
  up = true;
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(cache.find("2011-04-29").has_value()) << "within the retry interval";
  EXPECT_EQ(fetches, 1);
}

TEST(TenantPolicy, ParsesAPutBodyAndNamesEveryProblem) {
  const auto policy = parse_tenant_policy(
      "acme",
      R"({"allowedProfiles":["720p","360p"],"topRung":"720p","maxRunningJobs":2,"requestsPerSecond":10.5,"hdrLadder":true})",
      4096);
  ASSERT_TRUE(policy.has_value()) << policy.error().message;
  EXPECT_EQ(policy->allowed_profiles->size(), 2U);
  EXPECT_EQ(policy->max_running, 2);
  EXPECT_FALSE(policy->max_queued.has_value());
  const auto json_form = to_json(*policy);
  EXPECT_EQ(json_form["maxQueuedJobs"], nullptr);
  EXPECT_EQ(json_form["requestsPerSecond"], 10.5);
  EXPECT_EQ(json_form["hdrLadder"], true);
  EXPECT_EQ(to_json(TenantPolicy{.tenant_id = "x"})["hdrLadder"], nullptr);
  const auto refused = parse_tenant_policy(
      "acme",
      R"({"topRung":"9000p","maxRunningJobs":-1,"priority":1000,"colour":"red","segmentSeconds":"2","hdrLadder":"yes"})",
      4096);
  ASSERT_FALSE(refused.has_value());
  for (const auto* named : {"topRung", "maxRunningJobs", "priority", "colour", "segmentSeconds", "hdrLadder"}) {
    EXPECT_NE(refused.error().message.find(named), std::string::npos) << named << ": " << refused.error().message;
  }
  EXPECT_FALSE(parse_tenant_policy("acme", std::string(100, '['), 4096).has_value());
}

TEST(JobOutcome, OneJsonMappingRoundTrips) {
  JobOutcome outcome{.bucket = "outputs",
                     .output_prefix = "acme/v/j/run-1/",
                     .master_playlist_key = "acme/v/j/run-1/master.m3u8",
                     .objects = 12,
                     .bytes = 3456,
                     .duration_seconds = 2.5,
                     .timings = {.fetch_seconds = 0.1, .transcode_seconds = 2, .publish_seconds = 0.3},
                     .renditions = {{.name = "360p", .width = 640, .height = 360, .peak_bit_rate = 900000},
                                    {.name = "720p-hdr", .codecs = "hvc1.2.4.L93.B0", .video_range = "PQ"}},
                     .audio = {{.name = "aac", .codecs = "mp4a.40.2", .language = "en", .channels = 2}}};
  const auto back = outcome_from_json(to_json(outcome));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(to_json(*back), to_json(outcome));
  EXPECT_FALSE(to_json(outcome).contains("report")) << "the internal report only on request";
  EXPECT_FALSE(outcome_from_json(json::array()).has_value());
  EXPECT_FALSE(outcome_from_json(json{{"objects", "many"}}).has_value());
}

TEST(OpenApiDocument, TheEmbeddedYamlBecomesJsonWithTypedScalars) {
  const auto document = yaml_to_json(embedded_openapi_yaml());
  ASSERT_TRUE(document.has_value()) << document.error().message;
  EXPECT_EQ((*document)["openapi"], "3.1.0");
  // A quoted number stays a string (status codes are keys; these are values).
  const auto& limit = (*document)["paths"]["/v1/jobs"]["get"]["parameters"][4]["schema"];
  EXPECT_EQ(limit["maximum"], 200);
  EXPECT_TRUE((*document)["paths"]["/v1/jobs"]["post"]["requestBody"]["required"].is_boolean());
  const auto quoted = yaml_to_json("a: '1'\nb: 1\nc: 1.5\nd: true\ne: null\nf: \"true\"");
  ASSERT_TRUE(quoted.has_value());
  EXPECT_EQ((*quoted)["a"], "1");
  EXPECT_EQ((*quoted)["b"], 1);
  EXPECT_EQ((*quoted)["c"], 1.5);
  EXPECT_EQ((*quoted)["d"], true);
  EXPECT_EQ((*quoted)["e"], nullptr);
  EXPECT_EQ((*quoted)["f"], "true");
  EXPECT_FALSE(yaml_to_json("a: [").has_value());
}

}  // namespace
}  // namespace st
