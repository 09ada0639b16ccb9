// Content protection, end to end on the binary: static keys and a SPEKE v2
// key server on loopback, cbcs and cenc through Shaka Packager, AES-128 for
// HLS; every init segment and fragment read back box by box, the PSSH boxes
// decoded per system, and every file of the output searched for the keys.
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "drm/content_keys.hpp"
#include "drm/speke_key_provider.hpp"
#include "media_fixtures.hpp"
#include "packaging/bmff.hpp"
#include "speke_fixture.hpp"
#include "util/base64.hpp"

namespace st::testing {
namespace {

constexpr const char* kSdKid = "6c1e7a5fa0b14d7e9e0f2a1b3c4d5e6f";
constexpr const char* kSdKey = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
constexpr const char* kHdKid = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
constexpr const char* kHdKey = "1f2e3d4c5b6a79889706a5b4c3d2e1f0";
constexpr const char* kAudioKid = "11223344556677889900aabbccddeeff";
constexpr const char* kAudioKey = "99887766554433221100ffeeddccbbaa";

std::vector<std::uint8_t> bytes_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::uint8_t> hex_bytes(const std::string& hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::string as_text(const std::vector<std::uint8_t>& bytes) {
  return {bytes.begin(), bytes.end()};
}

// Every way a key could be written down: hex either case, base64, base64url.
std::vector<std::string> spellings(const std::string& key_hex) {
  auto upper = key_hex;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  const auto raw = as_text(hex_bytes(key_hex));
  auto b64 = base64_encode(raw);
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return {key_hex, upper, b64, base64url_encode(raw), raw};
}

// The files below `dir` (and `extra` texts) that hold any spelling of any key.
std::vector<std::string> where_keys_appear(const fs::path& dir, const std::vector<std::string>& keys,
                                           const std::map<std::string, std::string>& extra = {}) {
  std::vector<std::string> found;
  const auto search = [&](const std::string& name, const std::string& content) {
    for (const auto& key : keys) {
      for (const auto& spelling : spellings(key)) {
        if (content.find(spelling) != std::string::npos) found.push_back(name);
      }
    }
  };
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) search(entry.path().string(), as_text(bytes_of(entry.path())));
  }
  for (const auto& [name, content] : extra) search(name, content);
  return found;
}

std::string kid_hex(const std::array<std::uint8_t, 16>& kid) {
  KeyId id;
  id.bytes = kid;
  return id.hex();
}

// Widevine's PSSH data is a WidevinePsshData protobuf: key_id is field 2 (bytes).
bool widevine_names(const PsshBox& box, const std::string& kid) {
  const auto id = hex_bytes(kid);
  std::vector<std::uint8_t> field = {0x12, 0x10};
  field.insert(field.end(), id.begin(), id.end());
  return std::search(box.data.begin(), box.data.end(), field.begin(), field.end()) != box.data.end();
}

// PlayReady's PSSH data is a PlayReady Object: a UTF-16LE WRMHEADER whose KID
// (4.0: <KID>, 4.1+: <KID VALUE="">) is the base64 of the GUID's little-endian bytes.
bool playready_names(const PsshBox& box, const std::string& kid) {
  std::string header;
  for (std::size_t i = 10; i + 1 < box.data.size(); i += 2) header.push_back(static_cast<char>(box.data[i]));
  auto guid = hex_bytes(kid);
  std::reverse(guid.begin(), guid.begin() + 4);
  std::reverse(guid.begin() + 4, guid.begin() + 6);
  std::reverse(guid.begin() + 6, guid.begin() + 8);
  const auto value = base64_encode(as_text(guid));
  return header.find("WRMHEADER") != std::string::npos && header.find(value) != std::string::npos;
}

struct Checked {
  std::string scheme;
  std::map<std::string, std::string> kid_of_track;  // folder -> kid hex
};

// Every video and audio track of `out` is encrypted: its init segment's
// 'tenc' names the expected key ID, its PSSH boxes name it too, every
// fragment has one 'senc' entry per sample and, for video, subsample maps
// that leave each NAL unit's length and header in the clear.
void expect_encrypted(const fs::path& out, const std::string& scheme, const std::map<std::string, std::string>& kids,
                      const std::set<std::string>& systems) {
  for (const auto& [folder, kid] : kids) {
    SCOPED_TRACE(folder);
    const auto init = read_init_segment(out / folder / "init.mp4");
    ASSERT_TRUE(init.has_value()) << init.error().message;
    ASSERT_TRUE(init->protection.has_value()) << "no 'sinf'/'tenc' in the init segment";
    const auto& p = *init->protection;
    EXPECT_EQ(p.scheme, scheme);
    EXPECT_EQ(kid_hex(p.default_kid), kid);
    const bool video = init->handler == "vide";
    if (scheme == "cbcs") {
      EXPECT_EQ(p.per_sample_iv_size, 0);
      EXPECT_EQ(p.constant_iv.size(), 16U);
      if (video) {
        EXPECT_EQ(p.crypt_byte_block, 1);
        EXPECT_EQ(p.skip_byte_block, 9);
      }
    } else {
      EXPECT_TRUE(p.per_sample_iv_size == 8 || p.per_sample_iv_size == 16) << p.per_sample_iv_size;
    }
    std::set<std::string> seen;
    for (const auto& box : init->pssh) {
      seen.insert(box.system_id);
      if (box.system_id == "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed") {
        EXPECT_TRUE(widevine_names(box, kid));
      }
      if (box.system_id == "9a04f079-9840-4286-ab92-e65be0885f95") {
        EXPECT_TRUE(playready_names(box, kid));
      }
      if (box.system_id == "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b") {
        ASSERT_EQ(box.key_ids.size(), 1U);
        EXPECT_EQ(kid_hex(box.key_ids[0]), kid);
      }
    }
    for (const auto& system : systems) EXPECT_TRUE(seen.contains(system)) << "no PSSH of " << system;

    int segments = 0;
    for (const auto& entry : fs::directory_iterator(out / folder)) {
      if (entry.path().extension() != ".m4s") continue;
      ++segments;
      const auto samples = read_sample_encryption(entry.path(), *init);
      ASSERT_TRUE(samples.has_value()) << entry.path() << ": " << samples.error().message;
      const auto file = bytes_of(entry.path());
      for (const auto& sample : *samples) {
        EXPECT_EQ(sample.iv.size(), static_cast<std::size_t>(p.per_sample_iv_size));
        if (!video) continue;
        ASSERT_FALSE(sample.subsamples.empty()) << "video samples are encrypted by subsample";
        // The clear ranges of the sample, from its subsample map.
        std::vector<std::pair<std::uint64_t, std::uint64_t>> clear;
        std::uint64_t at = 0;
        for (const auto& [clear_bytes, protected_bytes] : sample.subsamples) {
          clear.emplace_back(at, at + clear_bytes);
          at += clear_bytes + protected_bytes;
        }
        ASSERT_EQ(at, sample.size);
        const auto in_clear = [&](std::uint64_t from, std::uint64_t to) {
          return std::any_of(clear.begin(), clear.end(),
                             [&](const auto& r) { return from >= r.first && to <= r.second; });
        };
        // AVC: 4-byte lengths, a 1-byte NAL header.
        for (std::uint64_t nal = 0; nal + 5 <= sample.size;) {
          ASSERT_TRUE(in_clear(nal, nal + 5)) << "a NAL unit's length or header is encrypted at byte " << nal;
          const auto* b = &file.at(sample.offset + nal);
          const std::uint64_t length = (std::uint64_t{b[0]} << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
          nal += 4 + length;
        }
      }
    }
    EXPECT_GT(segments, 0);
  }
}

std::string packager() {
  return ST_PACKAGER;
}

// A static key document in `dir` with one key (kHdKid, kHdKey) for every track type.
fs::path one_key_file(const fs::path& dir) {
  const auto file = dir / "keys.json";
  std::ofstream(file) << nlohmann::json{{"keys", {{{"trackType", "ALL"}, {"kid", kHdKid}, {"key", kHdKey}}}}}.dump();
  return file;
}

TEST(Drm, CbcsWithStaticKeysPerResolutionEncryptsEveryTrackUnderItsKey) {
  const auto dir = fresh_dir("drm-cbcs-static");
  const auto keys_file = dir / "keys.json";
  std::ofstream(keys_file) << nlohmann::json{{"keys",
                                              {{{"trackType", "SD"}, {"kid", kSdKid}, {"key", kSdKey}},
                                               {{"trackType", "HD"}, {"kid", kHdKid}, {"key", kHdKey}},
                                               {{"trackType", "AUDIO"}, {"kid", kAudioKid}, {"key", kAudioKey}}}}}
                                  .dump();
  const auto out = dir / "out";
  const auto run = run_cli({"transcode",
                            source("landscape_1080p").string(),
                            "-o",
                            out.string(),
                            "--renditions",
                            "1080p,480p",
                            "--preset",
                            "ultrafast",
                            "--segment-duration",
                            "2",
                            "--json",
                            "--encrypt",
                            "cbcs",
                            "--drm-systems",
                            "widevine,playready,fairplay,clearkey",
                            "--key-per-resolution",
                            "--keys",
                            keys_file.string(),
                            "--clearkey-license-url",
                            "https://licence.test/ck?kid={kid}",
                            "--packager",
                            packager()});
  ASSERT_TRUE(run.result.succeeded()) << run.stderr_text();

  expect_encrypted(out, "cbcs", {{"video/1080p", kHdKid}, {"video/480p", kSdKid}, {"audio/aac-stereo-und", kAudioKid}},
                   {"edef8ba9-79d6-4ace-a3c8-27dcd51d21ed", "9a04f079-9840-4286-ab92-e65be0885f95",
                    "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"});

  // Signalling: DASH sets per key with their default_KID and PSSH, joined
  // for switching; HLS keys per system and every key once in the master.
  const auto mpd = read_text(out / "manifest.mpd");
  for (const auto* kid : {kSdKid, kHdKid, kAudioKid}) {
    KeyId id = *KeyId::parse(kid);
    EXPECT_NE(mpd.find(fmt::format("cenc:default_KID=\"{}\"", id.uuid())), std::string::npos) << kid;
  }
  EXPECT_NE(mpd.find("urn:mpeg:dash:adaptation-set-switching:2016"), std::string::npos);
  EXPECT_NE(mpd.find("<mspr:pro>"), std::string::npos);
  EXPECT_NE(mpd.find("https://licence.test/ck?kid="), std::string::npos);
  // The MPD's PSSH is the init segment's, byte for byte.
  const auto init = read_init_segment(out / "video/1080p/init.mp4");
  ASSERT_TRUE(init.has_value());
  for (const auto& box : init->pssh) {
    EXPECT_NE(mpd.find(base64_encode(as_text(box.box))), std::string::npos) << box.system_id;
  }
  const auto playlist = read_text(out / "video/1080p/playlist.m3u8");
  EXPECT_NE(playlist.find("METHOD=SAMPLE-AES,URI=\"data:text/plain;base64,"), std::string::npos);
  EXPECT_NE(playlist.find(fmt::format("KEYID=0x{}", kHdKid)), std::string::npos);
  EXPECT_NE(playlist.find(fmt::format("URI=\"skd://{}\",KEYFORMAT=\"com.apple.streamingkeydelivery\"", kHdKid)),
            std::string::npos);
  EXPECT_NE(playlist.find("KEYFORMAT=\"com.microsoft.playready\""), std::string::npos);
  const auto master = read_text(out / "master.m3u8");
  for (const auto* kid : {kSdKid, kHdKid, kAudioKid}) {
    EXPECT_NE(master.find(fmt::format("#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES,URI=\"skd://{}\"", kid)),
              std::string::npos);
  }

  // The report names key IDs, and the packager's command line no key.
  const auto report = read_json(out / "report.json");
  std::set<std::string> reported;
  for (const auto& r : report.at("renditions")) reported.insert(r.at("encryption").at("key_id").get<std::string>());
  EXPECT_EQ(reported.size(), 2U);

  // No key anywhere: not in the outputs (report included), not in what the binary printed.
  std::string printed = run.stderr_text();
  for (const auto& line : run.stdout_lines) printed += line + "\n";
  EXPECT_EQ(where_keys_appear(out, {kSdKey, kHdKey, kAudioKey}, {{"stdout and stderr", printed}}),
            std::vector<std::string>());
  EXPECT_EQ(where_keys_appear(out, {kSdKid}).empty(), false) << "the search finds what is there (the key IDs)";
}

TEST(Drm, CencWithKeysFromASpekeKeyServer) {
  SpekeServer speke;
  const auto dir = fresh_dir("drm-cenc-speke");
  const auto out = dir / "out";
  const auto run =
      run_cli({"transcode", source("landscape_1080p").string(), "-o", out.string(), "--renditions", "720p,360p",
               "--preset", "ultrafast", "--segment-duration", "2", "--json", "--encrypt", "cenc", "--drm-systems",
               "widevine,playready", "--speke-url", speke.url(), "--packager", packager()});
  ASSERT_TRUE(run.result.succeeded()) << run.stderr_text();

  const auto issued = speke.issued();
  ASSERT_EQ(issued.size(), 2U);  // one video key shared by every rendition, one audio key
  std::map<std::string, std::string> kid_of;
  for (const auto& key : issued) kid_of[key.type] = key.kid;
  expect_encrypted(
      out, "cenc",
      {{"video/720p", kid_of["VIDEO"]}, {"video/360p", kid_of["VIDEO"]}, {"audio/aac-stereo-und", kid_of["AUDIO"]}},
      {"edef8ba9-79d6-4ace-a3c8-27dcd51d21ed", "9a04f079-9840-4286-ab92-e65be0885f95"});
  // The key server's own PSSH boxes are the ones in the init segment.
  const auto init = read_init_segment(out / "video/720p/init.mp4");
  ASSERT_TRUE(init.has_value());
  ASSERT_EQ(init->pssh.size(), 2U);

  // What the key server received: SPEKE v2.0, CPIX 2.3, the content, both systems, usage rules.
  const auto requests = speke.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0]["headers"]["X-Speke-Version"], "2.0");
  const auto body = requests[0]["body"].get<std::string>();
  EXPECT_NE(body.find("version=\"2.3\""), std::string::npos);
  EXPECT_NE(body.find("commonEncryptionScheme=\"cenc\""), std::string::npos);
  EXPECT_NE(body.find("intendedTrackType=\"AUDIO\""), std::string::npos);
  EXPECT_NE(body.find("systemId=\"9a04f079-9840-4286-ab92-e65be0885f95\""), std::string::npos);

  std::string printed = run.stderr_text();
  for (const auto& line : run.stdout_lines) printed += line + "\n";
  std::vector<std::string> keys;
  for (const auto& key : issued) keys.push_back(key.key);
  EXPECT_EQ(where_keys_appear(out, keys, {{"stdout and stderr", printed}}), std::vector<std::string>());
}

// The packager cuts audio at the first frame at or after each boundary where
// ffmpeg cut at the first after it: with 4-second segments the 8-second
// boundary falls exactly on an AAC frame of this source. The audio track
// keeps its timeline (no gap, same start and end) and plays from the
// packager's segments, described as they are.
TEST(Drm, AudioRecutByThePackagerKeepsItsTimeline) {
  const auto dir = fresh_dir("drm-audio-recut");
  const auto keys_file = one_key_file(dir);
  const auto out = dir / "out";
  const auto run = run_cli({"transcode", source("long_1080p").string(), "-o", out.string(), "--renditions", "240p",
                            "--json", "--encrypt", "cenc", "--keys", keys_file.string(), "--packager", packager()});
  ASSERT_TRUE(run.result.succeeded()) << run.stderr_text();
  expect_encrypted(out, "cenc", {{"video/240p", kHdKid}, {"audio/aac-stereo-und", kHdKid}},
                   {"edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"});
  // The playlist's durations are the segments' own, and add up to the track.
  const auto init = read_init_segment(out / "audio/aac-stereo-und/init.mp4");
  ASSERT_TRUE(init.has_value());
  const auto playlist = read_text(out / "audio/aac-stereo-und/playlist.m3u8");
  double listed = 0;
  std::uint64_t next = 0;
  for (int n = 1; fs::exists(out / fmt::format("audio/aac-stereo-und/seg-{:05d}.m4s", n)); ++n) {
    const auto fragment = read_media_segment(out / fmt::format("audio/aac-stereo-und/seg-{:05d}.m4s", n), *init);
    ASSERT_TRUE(fragment.has_value());
    if (n > 1) {
      EXPECT_EQ(fragment->base_media_decode_time, next) << "a gap before segment " << n;
    }
    next = fragment->base_media_decode_time + fragment->duration;
    const auto seconds = static_cast<double>(fragment->duration) / init->timescale;
    EXPECT_NE(playlist.find(fmt::format("#EXTINF:{:.3f},\nseg-{:05d}.m4s", seconds, n)), std::string::npos) << n;
    listed += seconds;
  }
  EXPECT_NEAR(listed, 30.0, 0.05);
}

// A clear lead: the segments that end within it carry no 'senc' (players
// start before the licence arrives), every later one is encrypted, and the
// init segment is protected all the same.
TEST(Drm, AClearLeadLeavesTheFirstSegmentsInTheClear) {
  const auto dir = fresh_dir("drm-clear-lead");
  const auto keys_file = one_key_file(dir);
  const auto out = dir / "out";
  const auto run = run_cli({"transcode", source("landscape_1080p").string(), "-o", out.string(), "--renditions", "240p",
                            "--preset", "ultrafast", "--segment-duration", "2", "--json", "--encrypt", "cbcs",
                            "--clear-lead", "2", "--keys", keys_file.string(), "--packager", packager()});
  ASSERT_TRUE(run.result.succeeded()) << run.stderr_text();
  const auto init = read_init_segment(out / "video/240p/init.mp4");
  ASSERT_TRUE(init.has_value());
  ASSERT_TRUE(init->protection.has_value());
  const auto first = read_media_segment(out / "video/240p/seg-00001.m4s", *init);
  const auto second = read_media_segment(out / "video/240p/seg-00002.m4s", *init);
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(first->encrypted_samples, 0U);
  EXPECT_EQ(second->encrypted_samples, second->sample_count);
}

// A key server that is away or failing is worth another try (exit 1); one
// that refuses or answers nonsense is not (exit 2), and says why.
TEST(Drm, KeyServerFailuresAreRetryableOrPermanentAsTheyShouldBe) {
  const auto attempt = [](const std::string& url) {
    const auto dir = fresh_dir("drm-speke-failure");
    return run_cli({"transcode", source("short_2s").string(), "-o", (dir / "out").string(), "--renditions", "360p",
                    "--preset", "ultrafast", "--encrypt", "cbcs", "--speke-url", url, "--packager", packager()});
  };
  {
    const auto run = attempt("http://127.0.0.1:9/speke/v2.0/copyProtection");  // nothing listens
    EXPECT_EQ(run.result.exit_code, 1) << run.stderr_text();
    EXPECT_NE(run.stderr_text().find("cannot be reached"), std::string::npos) << run.stderr_text();
  }
  const std::vector<std::tuple<std::string, int, std::string>> cases = {
      {"status-500", 1, "answered 500"},
      {"status-403", 2, "refused the request (403): Forbidden"},
      {"garbage", 2, "not a CPIX document"},
      {"other-content", 2, "is for content 'someone-else'"},
      {"missing-key", 2, "has no value for content key"},
  };
  for (const auto& [mode, exit_code, says] : cases) {
    SpekeServer speke(mode);
    const auto run = attempt(speke.url());
    EXPECT_EQ(run.result.exit_code, exit_code) << mode << ": " << run.stderr_text();
    EXPECT_NE(run.stderr_text().find(says), std::string::npos) << mode << ": " << run.stderr_text();
  }
}

// SPEKE with SigV4: the key server checks the signature with botocore's signer,
// as API Gateway would; the wrong secret is refused (403, not retried).
TEST(Drm, SpekeRequestsAreSignedWithSigV4WhenAsked) {
  SpekeServer speke("ok", "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  const KeyRequest request{.content_id = "acme/video-1",
                           .types = {TrackType::kVideo, TrackType::kAudio},
                           .scheme = "cbcs",
                           .system_ids = {"edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"}};
  const auto provider = [&](const std::string& secret) {
    return SpekeKeyProvider({.url = speke.url(),
                             .sigv4 = true,
                             .region = "us-east-1",
                             .service = "execute-api",
                             .timeout = std::chrono::seconds(5)},
                            std::make_shared<StaticCredentials>(AwsCredentials{
                                .access_key_id = "AKIDEXAMPLE", .secret_access_key = secret, .session_token = ""}));
  };
  auto signed_right = provider("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").keys_for(request);
  ASSERT_TRUE(signed_right.has_value()) << signed_right.error().message;
  EXPECT_EQ(signed_right->keys.size(), 2U);
  EXPECT_EQ(signed_right->for_type(TrackType::kVideo)->pssh.size(), 1U);

  auto signed_wrong = provider("not-the-secret").keys_for(request);
  ASSERT_FALSE(signed_wrong.has_value());
  EXPECT_EQ(signed_wrong.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(signed_wrong.error().message.find("(403): The request signature we calculated does not match"),
            std::string::npos)
      << signed_wrong.error().message;
  auto unsigned_request = SpekeKeyProvider({.url = speke.url()}, nullptr).keys_for(request);
  ASSERT_FALSE(unsigned_request.has_value());
  EXPECT_NE(unsigned_request.error().message.find("Missing Authentication Token"), std::string::npos);
}

// AES-128: whole segments, decryptable with the key and the media sequence
// number as IV into the fragment they were; HLS only.
TEST(Drm, Aes128EncryptsWholeSegmentsForHlsOnly) {
  const auto dir = fresh_dir("drm-aes128");
  const auto keys_file = one_key_file(dir);
  const auto out = dir / "out";
  const auto run = run_cli({"transcode", source("short_2s").string(), "-o", out.string(), "--renditions", "360p",
                            "--preset", "ultrafast", "--segment-duration", "1", "--json", "--encrypt", "aes-128",
                            "--keys", keys_file.string(), "--aes128-key-uri", "https://keys.test/{kid}"});
  ASSERT_TRUE(run.result.succeeded()) << run.stderr_text();
  EXPECT_FALSE(fs::exists(out / "manifest.mpd"));
  EXPECT_FALSE(fs::exists(out / "video/360p/iframes.m3u8"));
  const auto playlist = read_text(out / "video/360p/playlist.m3u8");
  const auto map = playlist.find("#EXT-X-MAP");
  const auto key = playlist.find(fmt::format("#EXT-X-KEY:METHOD=AES-128,URI=\"https://keys.test/{}\"", kHdKid));
  ASSERT_NE(key, std::string::npos) << playlist;
  EXPECT_LT(map, key) << "the init segment is before the key: in the clear";

  const auto key_bytes = hex_bytes(kHdKey);
  for (int n = 1; n <= 2; ++n) {
    const auto cipher = bytes_of(out / fmt::format("video/360p/seg-{:05d}.m4s", n));
    ASSERT_EQ(cipher.size() % 16, 0U);
    std::array<std::uint8_t, 16> iv{};
    iv[15] = static_cast<std::uint8_t>(n);
    std::vector<std::uint8_t> plain(cipher.size() + 16);
    int produced = 0;
    int last = 0;
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> context(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    ASSERT_EQ(EVP_DecryptInit_ex(context.get(), EVP_aes_128_cbc(), nullptr, key_bytes.data(), iv.data()), 1);
    ASSERT_EQ(EVP_DecryptUpdate(context.get(), plain.data(), &produced, cipher.data(), static_cast<int>(cipher.size())),
              1);
    ASSERT_EQ(EVP_DecryptFinal_ex(context.get(), plain.data() + produced, &last), 1)
        << "bad padding: not our key or IV";
    plain.resize(static_cast<std::size_t>(produced + last));
    const auto text = as_text(plain);
    EXPECT_NE(text.find("moof"), std::string::npos) << "segment " << n << " decrypts to a CMAF fragment";
    EXPECT_EQ(as_text(cipher).find("moof"), std::string::npos) << "segment " << n << " is not in the clear";
  }
  EXPECT_EQ(where_keys_appear(out, {kHdKey}), std::vector<std::string>());
}

}  // namespace
}  // namespace st::testing
