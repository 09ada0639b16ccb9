// Content protection's pure parts: the CPIX documents of SPEKE v2 (built, and
// read back as hostile input), the DRM policy as tenants and the configuration
// give it, and the DASH and HLS signalling of an encrypted track.
#include <gtest/gtest.h>

#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "drm/cpix.hpp"
#include "drm/drm_policy.hpp"
#include "jobs/job_outcome.hpp"
#include "jobs/tenant_policy.hpp"
#include "packaging/dash_writer.hpp"
#include "packaging/hls_writer.hpp"
#include "presentation_fixture.hpp"
#include "util/base64.hpp"

namespace st {
namespace {

constexpr const char* kVideoKid = "9d9e3878-f070-c8ed-99fc-1b005bbd3da5";
constexpr const char* kAudioKid = "ae289d07-740d-1fa0-937a-e73c5c549445";
constexpr const char* kWidevine = "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed";
// The keys, as a key server would give them: 16 bytes in base64.
constexpr const char* kVideoKey = "xf+c4p/jaNT+JJBzgEfkSQ==";
constexpr const char* kAudioKey = "AAECAwQFBgcICQoLDA0ODw==";

std::vector<CpixKeyRequest> requested() {
  return {{.kid = *KeyId::parse(kVideoKid), .type = TrackType::kVideo},
          {.kid = *KeyId::parse(kAudioKid), .type = TrackType::kAudio}};
}

// A Widevine PSSH box (version 0) whose data names `kid`.
std::string widevine_pssh(const KeyId& kid) {
  std::string data = "\x12\x10";
  data.append(reinterpret_cast<const char*>(kid.bytes.data()), 16);
  std::string box(4, '\0');
  box += "pssh";
  box.append(4, '\0');
  for (int i = 0; i < 16; ++i) {
    box.push_back(static_cast<char>(std::stoi(
        std::string(kWidevine).erase(8, 1).erase(12, 1).erase(16, 1).erase(20, 1).substr(2 * i, 2), nullptr, 16)));
  }
  const auto size = static_cast<std::uint32_t>(data.size());
  box += std::string{static_cast<char>(size >> 24), static_cast<char>(size >> 16), static_cast<char>(size >> 8),
                     static_cast<char>(size)};
  box += data;
  const auto total = static_cast<std::uint32_t>(box.size());
  box[0] = static_cast<char>(total >> 24);
  box[1] = static_cast<char>(total >> 16);
  box[2] = static_cast<char>(total >> 8);
  box[3] = static_cast<char>(total);
  return box;
}

// An answer shaped like AWS's SPEKE v2 VOD example.
std::string answer(const std::string& content_id = "acme/video-1", const std::string& video_key = kVideoKey,
                   const std::string& extra = "") {
  return fmt::format(
      R"(<?xml version="1.0" encoding="UTF-8"?>
<cpix:CPIX contentId="{}" version="2.3" xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc">
  <cpix:ContentKeyList>
    <cpix:ContentKey kid="{}" commonEncryptionScheme="cbcs" explicitIV="OFj2IjCsPJFfMAxmQxLGPw==">
      <cpix:Data><pskc:Secret><pskc:PlainValue>{}</pskc:PlainValue></pskc:Secret></cpix:Data>
    </cpix:ContentKey>
    <cpix:ContentKey kid="{}" commonEncryptionScheme="cbcs">
      <cpix:Data><pskc:Secret><pskc:PlainValue> {} </pskc:PlainValue></pskc:Secret></cpix:Data>
    </cpix:ContentKey>{}
  </cpix:ContentKeyList>
  <cpix:DRMSystemList>
    <cpix:DRMSystem kid="{}" systemId="{}">
      <cpix:PSSH>{}</cpix:PSSH>
      <cpix:ContentProtectionData>PGNlbmM6cHNzaD4=</cpix:ContentProtectionData>
      <cpix:HLSSignalingData playlist="media">I0VYVC1YLUtFWQ==</cpix:HLSSignalingData>
    </cpix:DRMSystem>
    <cpix:DRMSystem kid="{}" systemId="94ce86fb-07ff-4f43-adb8-93d2fa968ca2"><cpix:PSSH /></cpix:DRMSystem>
  </cpix:DRMSystemList>
</cpix:CPIX>
)",
      content_id, kVideoKid, video_key, kAudioKid, kAudioKey, extra, kVideoKid, kWidevine,
      base64_encode(widevine_pssh(*KeyId::parse(kVideoKid))), kAudioKid);
}

const std::vector<std::string> kSystems = {kWidevine, "94ce86fb-07ff-4f43-adb8-93d2fa968ca2"};

TEST(Cpix, TheRequestAsksForEveryKeyItsSystemsAndItsUsage) {
  const auto document = cpix_request("acme/video-1", "cbcs", requested(), kSystems);
  EXPECT_NE(document.find(R"(<cpix:CPIX contentId="acme/video-1" version="2.3")"), std::string::npos);
  EXPECT_NE(document.find(fmt::format(R"(<cpix:ContentKey kid="{}" commonEncryptionScheme="cbcs" />)", kVideoKid)),
            std::string::npos);
  EXPECT_NE(document.find(fmt::format(R"(<cpix:DRMSystem kid="{}" systemId="{}">)", kAudioKid, kWidevine)),
            std::string::npos);
  EXPECT_NE(document.find(fmt::format(R"(<cpix:ContentKeyUsageRule kid="{}" intendedTrackType="AUDIO">)", kAudioKid)),
            std::string::npos);
  EXPECT_NE(document.find("<cpix:AudioFilter />"), std::string::npos);
  // A content ID is escaped, not markup.
  EXPECT_NE(cpix_request("a\"<b>", "cbcs", requested(), kSystems).find("contentId=\"a&quot;&lt;b&gt;\""),
            std::string::npos);
}

TEST(Cpix, ReadsTheKeysAndEachKeysPsshFromTheAnswer) {
  const auto keys = parse_cpix_response(answer(), "acme/video-1", requested(), kSystems);
  ASSERT_TRUE(keys.has_value()) << keys.error().message;
  ASSERT_EQ(keys->keys.size(), 2U);
  const auto* video = keys->for_type(TrackType::kVideo);
  ASSERT_NE(video, nullptr);
  EXPECT_EQ(video->kid.uuid(), kVideoKid);
  EXPECT_EQ(video->key.hex_for_packager(), "c5ff9ce29fe368d4fe2490738047e449");
  ASSERT_EQ(video->pssh.size(), 1U);  // Widevine's; FairPlay gave none
  EXPECT_EQ(std::string(video->pssh[0].begin(), video->pssh[0].end()), widevine_pssh(video->kid));
  EXPECT_EQ(keys->for_type(TrackType::kAudio)->key.hex_for_packager(), "000102030405060708090a0b0c0d0e0f");
  EXPECT_TRUE(keys->for_type(TrackType::kAudio)->pssh.empty());
}

TEST(Cpix, RefusesAnswersThatAreWrongAndNeverQuotesAKey) {
  const auto refused = [](const std::string& document, const std::string& says) {
    const auto keys = parse_cpix_response(document, "acme/video-1", requested(), kSystems);
    ASSERT_FALSE(keys.has_value()) << says;
    EXPECT_EQ(keys.error().code, ErrorCode::kInvalidInput);
    EXPECT_NE(keys.error().message.find(says), std::string::npos) << keys.error().message;
    EXPECT_EQ(keys.error().message.find(kAudioKey), std::string::npos) << keys.error().message;
    EXPECT_EQ(keys.error().message.find("xf+c4p"), std::string::npos) << keys.error().message;
  };
  refused(answer("someone-else"), "is for content 'someone-else'");
  refused(answer("acme/video-1", "AAEC"), "is not 16 bytes of base64");
  refused(answer("acme/video-1", "not base64 at all!"), "is not 16 bytes of base64");
  refused(answer("acme/video-1", ""), "no value for content key");
  refused(
      answer(
          "acme/video-1", kVideoKey,
          R"(<cpix:ContentKey kid="00000000-0000-0000-0000-000000000001"><cpix:Data><pskc:Secret>)"
          R"(<pskc:PlainValue>AAECAwQFBgcICQoLDA0ODw==</pskc:PlainValue></pskc:Secret></cpix:Data></cpix:ContentKey>)"),
      "a key ID not asked for");
  auto encrypted = answer();
  encrypted.replace(encrypted.find("<pskc:PlainValue>"), 17, "<pskc:EncryptedValue>");
  encrypted.replace(encrypted.find("</pskc:PlainValue>"), 18, "</pskc:EncryptedValue>");
  refused(encrypted, "is encrypted");
  // A PSSH box under another system's name.
  auto wrong_system = answer();
  wrong_system.replace(wrong_system.find(std::string("systemId=\"") + kWidevine), 10 + 36,
                       "systemId=\"94ce86fb-07ff-4f43-adb8-93d2fa968ca2");
  refused(wrong_system, "is not a 'pssh' box of that system");
  refused("<html><body>Service Unavailable</body></html>", "not a CPIX document");
  refused("", "not XML");
  refused(answer().substr(0, 300), "not XML");
}

TEST(Cpix, BoundsTheDocumentBeforeReadingIt) {
  const auto refused = [](const std::string& document, const std::string& says) {
    const auto keys = parse_cpix_response(document, "acme/video-1", requested(), kSystems);
    ASSERT_FALSE(keys.has_value()) << says;
    EXPECT_NE(keys.error().message.find(says), std::string::npos) << keys.error().message;
  };
  // Entities (the "billion laughs") need a DTD: none is read.
  refused(R"(<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>)"
          R"(<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" contentId="&b;"/>)",
          "document type declaration");
  std::string deep = R"(<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" contentId="acme/video-1">)";
  for (int i = 0; i < 100; ++i) deep += "<a>";
  refused(deep, "nested deeper than 16");
  std::string wide = R"(<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" contentId="acme/video-1">)";
  for (int i = 0; i < 5000; ++i) wide += "<a/>";
  refused(wide, "more than 4096 elements");
  refused(std::string(kMaxCpixBytes + 1, ' '), "more than 1048576 bytes");
  auto long_value = answer();
  long_value.insert(long_value.find("</pskc:PlainValue>"), std::string(70000, 'A'));
  refused(long_value, "longer than");
}

TEST(DrmPolicy, TenantsGiveItAsJsonCheckedLikeTheApiChecksIt) {
  std::vector<std::string> problems;
  const auto policy = drm_policy_from_json(
      nlohmann::json::parse(R"({"scheme":"cbcs","systems":["widevine","fairplay"],"videoKeys":"per-resolution"})"),
      problems);
  ASSERT_TRUE(policy.has_value()) << fmt::format("{}", fmt::join(problems, "; "));
  EXPECT_EQ(policy->scheme, ProtectionScheme::kCbcs);
  EXPECT_EQ(policy->key_types(),
            (std::vector<TrackType>{TrackType::kSd, TrackType::kHd, TrackType::kUhd, TrackType::kAudio}));
  EXPECT_EQ(policy->video_key_type(1920, 1080), TrackType::kHd);
  EXPECT_EQ(to_json(*policy)["videoKeys"], "per-resolution");

  const auto refused = [](const char* body, const std::string& says) {
    std::vector<std::string> found;
    EXPECT_FALSE(drm_policy_from_json(nlohmann::json::parse(body), found).has_value()) << body;
    const auto all = fmt::format("{}", fmt::join(found, "; "));
    EXPECT_NE(all.find(says), std::string::npos) << all;
  };
  refused(R"({"scheme":"cenc","systems":["fairplay"]})", "FairPlay needs the cbcs scheme");
  refused(R"({"scheme":"cbcs","systems":[]})", "at least one DRM system");
  refused(R"({"scheme":"aes-128","systems":["widevine"]})", "takes no DRM systems");
  refused(R"({"scheme":"cens"})", "drm.scheme must be");
  refused(R"({"scheme":"cbcs","systems":["widevine","widevine"]})", "at most once");
  refused(R"({"scheme":"cbcs","systems":["widevine"],"clearLeadSeconds":1e9})", "clearLeadSeconds");
  refused(R"({"scheme":"cbcs","systems":["widevine"],"keys":"x"})", "drm.keys is not a drm field");
  refused(R"([1,2])", "drm must be an object");
}

TEST(DrmPolicy, ATenantPolicyCarriesItAndGivesItBack) {
  const auto policy = parse_tenant_policy(
      "acme", R"({"drm":{"scheme":"cenc","systems":["widevine","playready"],"clearLeadSeconds":2}})", 4096);
  ASSERT_TRUE(policy.has_value()) << policy.error().message;
  ASSERT_TRUE(policy->drm.has_value());
  EXPECT_EQ(to_json(*policy)["drm"],
            nlohmann::json::parse(
                R"({"scheme":"cenc","systems":["widevine","playready"],"videoKeys":"shared","clearLeadSeconds":2.0})"));
  EXPECT_FALSE(parse_tenant_policy("acme", R"({"drm":{"scheme":"cbcs"}})", 4096).has_value());
  EXPECT_TRUE(parse_tenant_policy("acme", R"({"drm":null})", 4096).has_value());
}

TEST(DrmSignalling, DashAndHlsNameTheKeyIdEachSystemAndItsData) {
  auto p = testing::small_presentation();
  p.signalling.clearkey_license_url = "https://licence.test/ck?kid={kid}";
  TrackProtection protection{.scheme = ProtectionScheme::kCbcs,
                             .kid = *KeyId::parse(kVideoKid),
                             .key_type = TrackType::kVideo,
                             .systems = {DrmSystem::kWidevine, DrmSystem::kFairPlay, DrmSystem::kClearKey},
                             .headers = {}};
  const auto box = widevine_pssh(protection.kid);
  protection.headers.push_back(
      {.system = DrmSystem::kWidevine, .box = {box.begin(), box.end()}, .data = {box.end() - 18, box.end()}});
  for (auto& v : p.video) v.protection = protection;

  const auto playlist = write_hls_media_playlist(p.video[0], p.signalling);
  const auto map = playlist.find("#EXT-X-MAP");
  EXPECT_NE(playlist.find(fmt::format("#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"data:text/plain;base64,{}\",KEYID=0x{},"
                                      "KEYFORMAT=\"urn:uuid:{}\",KEYFORMATVERSIONS=\"1\"\n",
                                      base64_encode(box), protection.kid.hex(), kWidevine)),
            std::string::npos)
      << playlist;
  EXPECT_GT(playlist.find("#EXT-X-KEY"), map);
  EXPECT_NE(playlist.find(fmt::format("#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://{}\","
                                      "KEYFORMAT=\"com.apple.streamingkeydelivery\"",
                                      protection.kid.hex())),
            std::string::npos);
  EXPECT_NE(playlist.find(fmt::format("URI=\"https://licence.test/ck?kid={}\",KEYID=0x{},KEYFORMAT=\"org.w3.clearkey\"",
                                      protection.kid.hex(), protection.kid.hex())),
            std::string::npos);
  // The master announces the one key once (both renditions share it), audio in the clear not at all.
  const auto master = write_hls_multivariant_playlist(p);
  std::size_t session_keys = 0;
  for (auto at = master.find("#EXT-X-SESSION-KEY"); at != std::string::npos;
       at = master.find("#EXT-X-SESSION-KEY", at + 1))
    ++session_keys;
  EXPECT_EQ(session_keys, 3U);

  const auto mpd = write_dash_mpd(p);
  EXPECT_NE(mpd.find("xmlns:cenc=\"urn:mpeg:cenc:2013\""), std::string::npos);
  EXPECT_NE(mpd.find(fmt::format("<ContentProtection schemeIdUri=\"urn:mpeg:dash:mp4protection:2011\" value=\"cbcs\" "
                                 "cenc:default_KID=\"{}\" />",
                                 kVideoKid)),
            std::string::npos);
  EXPECT_NE(mpd.find(fmt::format("<cenc:pssh>{}</cenc:pssh>", base64_encode(box))), std::string::npos);
  EXPECT_NE(mpd.find("<dashif:Laurl>https://licence.test/ck?kid="), std::string::npos);
  EXPECT_EQ(mpd.find("skd://"), std::string::npos) << "FairPlay has no DASH signalling";
  // One set for both renditions: they share the key.
  EXPECT_EQ(mpd.find("adaptation-set-switching"), std::string::npos);
  p.video[1].protection->kid = *KeyId::parse(kAudioKid);
  EXPECT_NE(write_dash_mpd(p).find("adaptation-set-switching:2016\" value=\"1\""), std::string::npos);
}

TEST(DrmSignalling, TheOutcomeNamesKeyIdsAndReadsThemBack) {
  JobOutcome outcome;
  outcome.renditions.push_back(
      {.name = "720p",
       .encryption = EncryptionOutput{
           .scheme = "cbcs", .key_id = kVideoKid, .key_type = "VIDEO", .systems = {"widevine", "fairplay"}}});
  const auto json = to_json(outcome);
  EXPECT_EQ(json["renditions"][0]["encryption"]["keyId"], kVideoKid);
  const auto back = outcome_from_json(json);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  ASSERT_TRUE(back->renditions[0].encryption.has_value());
  EXPECT_EQ(back->renditions[0].encryption->systems, (std::vector<std::string>{"widevine", "fairplay"}));
}

}  // namespace
}  // namespace st
