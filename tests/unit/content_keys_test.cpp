#include "drm/content_keys.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "drm/static_key_provider.hpp"

namespace st {
namespace {

// The test keys of DASH-IF's and Shaka's Clear Key examples are not used: any
// 16 bytes do, and these are easy to grep for.
constexpr const char* kHdKid = "6b6579696468642d2d2d2d2d2d2d2d2d";
constexpr const char* kHdKey = "73656372657468642d2d2d2d2d2d2d2d";
constexpr const char* kAllKid = "11112222-3333-4444-5555-666677778888";
constexpr const char* kAllKey = "00112233445566778899aabbccddeeff";

TEST(KeyId, ReadsHexAndUuidsAndWritesBoth) {
  const auto a = KeyId::parse(kAllKid);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->hex(), "11112222333344445555666677778888");
  EXPECT_EQ(a->uuid(), kAllKid);
  EXPECT_EQ(KeyId::parse("11112222333344445555666677778888")->uuid(), kAllKid);
  EXPECT_EQ(KeyId::parse("ABCDEF00ABCDEF00ABCDEF00ABCDEF00")->hex(), "abcdef00abcdef00abcdef00abcdef00");
  for (const char* bad : {"", "1111", "11112222333344445555666677778888ff", "1111222233334444555566667777888g",
                          "11112222-3333-4444-5555-6666777788-8", "111122223-333-4444-5555-666677778888"}) {
    EXPECT_FALSE(KeyId::parse(bad).has_value()) << bad;
  }
}

TEST(ContentKey, NeverPrintsItselfAndNeverQuotesItsText) {
  const auto key = ContentKey::parse_hex(kAllKey);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(fmt::format("{}", *key), "[redacted]");
  EXPECT_EQ(key->hex_for_packager(), kAllKey);
  const auto bad = ContentKey::parse_hex("00112233445566778899aabbccddeefZ");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message.find("00112233"), std::string::npos) << bad.error().message;
}

TEST(TrackTypes, FollowTheRenditionsSmallerSide) {
  EXPECT_EQ(video_track_type(854, 480), TrackType::kSd);
  EXPECT_EQ(video_track_type(1280, 720), TrackType::kHd);
  EXPECT_EQ(video_track_type(1080, 1920), TrackType::kHd) << "portrait by its smaller side";
  EXPECT_EQ(video_track_type(3840, 2160), TrackType::kUhd);
  EXPECT_EQ(parse_track_type("UHD1"), TrackType::kUhd);
  EXPECT_EQ(to_string(TrackType::kAudio), "AUDIO");
  EXPECT_FALSE(parse_track_type("uhd").has_value());
}

TEST(StaticKeyProvider, GivesEachTypeItsOwnKeyElseTheAllKey) {
  auto provider = StaticKeyProvider::parse(fmt::format(
      R"({{"keys": [{{"trackType": "HD", "kid": "{}", "key": "{}"}}, {{"trackType": "ALL", "kid": "{}", "key": "{}"}}]}})",
      kHdKid, kHdKey, kAllKid, kAllKey));
  ASSERT_TRUE(provider.has_value()) << provider.error().message;
  const auto keys = provider->keys_for({.content_id = "tenant/video",
                                        .types = {TrackType::kSd, TrackType::kHd, TrackType::kAudio},
                                        .scheme = "cbcs",
                                        .system_ids = {}});
  ASSERT_TRUE(keys.has_value()) << keys.error().message;
  EXPECT_EQ(keys->content_id, "tenant/video");
  ASSERT_EQ(keys->keys.size(), 3U);
  EXPECT_EQ(keys->for_type(TrackType::kHd)->kid.hex(), kHdKid);
  EXPECT_EQ(keys->for_type(TrackType::kHd)->key.hex_for_packager(), kHdKey);
  EXPECT_EQ(keys->for_type(TrackType::kSd)->kid.uuid(), kAllKid);
  EXPECT_EQ(keys->for_type(TrackType::kAudio)->key.hex_for_packager(), kAllKey);
  EXPECT_EQ(keys->for_type(TrackType::kUhd), nullptr);

  auto only_hd = StaticKeyProvider::parse(
      fmt::format(R"({{"keys": [{{"trackType": "HD", "kid": "{}", "key": "{}"}}]}})", kHdKid, kHdKey));
  ASSERT_TRUE(only_hd.has_value());
  const auto missing =
      only_hd->keys_for({.content_id = "c", .types = {TrackType::kAudio}, .scheme = "cbcs", .system_ids = {}});
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("no key for any requested track type"), std::string::npos);
  // A type without a key is left out when others have one: the packager refuses the track that needs it.
  const auto partial = only_hd->keys_for(
      {.content_id = "c", .types = {TrackType::kHd, TrackType::kUhd}, .scheme = "cbcs", .system_ids = {}});
  ASSERT_TRUE(partial.has_value());
  EXPECT_EQ(partial->keys.size(), 1U);
  EXPECT_EQ(partial->for_type(TrackType::kUhd), nullptr);
}

TEST(StaticKeyProvider, NamesEveryBadEntryWithoutQuotingAKey) {
  const auto refused = StaticKeyProvider::parse(fmt::format(
      R"({{"keys": [{{"trackType": "HD", "kid": "{0}", "key": "{1}"}},
                   {{"trackType": "HD", "kid": "{2}", "key": "{3}"}},
                   {{"trackType": "SD", "kid": "{0}", "key": "{3}"}},
                   {{"trackType": "4K", "kid": "{0}", "key": "{1}"}},
                   {{"trackType": "AUDIO", "kid": "nope", "key": "{1}x"}}]}})",
      kHdKid, kHdKey, kAllKid, kAllKey));
  ASSERT_FALSE(refused.has_value());
  const auto& message = refused.error().message;
  EXPECT_EQ(refused.error().code, ErrorCode::kUsage);
  EXPECT_NE(message.find("keys[1]: a second key for HD"), std::string::npos) << message;
  EXPECT_NE(message.find(fmt::format("keys[2]: key ID {} names two different keys", kHdKid)), std::string::npos)
      << message;
  EXPECT_NE(message.find("keys[3].trackType"), std::string::npos) << message;
  EXPECT_NE(message.find("keys[4].kid"), std::string::npos) << message;
  EXPECT_NE(message.find("keys[4].key"), std::string::npos) << message;
  for (const char* secret : {kHdKey, kAllKey}) EXPECT_EQ(message.find(secret), std::string::npos) << message;

  for (const std::string& bad : {std::string("{}"), std::string(R"({"keys": []})"), std::string(R"({"keys": {}})"),
                                 std::string("[") + std::string(100, '['), std::string(70000, ' ')}) {
    EXPECT_FALSE(StaticKeyProvider::parse(bad).has_value()) << bad.substr(0, 40);
  }
}

}  // namespace
}  // namespace st
