#include "packaging/bmff.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace st {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

// Builders for the few boxes the reader looks at, laid out as ISO/IEC 14496-12 says.
void put(Bytes& out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>((value >> (8 * i)) & 0xFF));
}
Bytes box(const std::string& type, const Bytes& payload) {
  Bytes out(8 + payload.size());
  const auto size = payload.size() + 8;
  for (int i = 0; i < 4; ++i)
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>((size >> (24 - 8 * i)) & 0xFF);
  std::copy(type.begin(), type.end(), out.begin() + 4);
  std::copy(payload.begin(), payload.end(), out.begin() + 8);
  return out;
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes full(int version, std::uint32_t flags, const Bytes& rest) {
  Bytes out(4 + rest.size());
  out[0] = static_cast<std::uint8_t>(version);
  out[1] = static_cast<std::uint8_t>((flags >> 16) & 0xFF);
  out[2] = static_cast<std::uint8_t>((flags >> 8) & 0xFF);
  out[3] = static_cast<std::uint8_t>(flags & 0xFF);
  std::copy(rest.begin(), rest.end(), out.begin() + 4);
  return out;
}
Bytes words(std::initializer_list<std::uint32_t> values) {
  Bytes out;
  for (auto v : values) put(out, v, 4);
  return out;
}

Bytes avc1_entry() {
  Bytes entry(6 + 2 + 16, 0);
  put(entry, 1920, 2);
  put(entry, 1080, 2);
  entry.insert(entry.end(), 50, 0);
  const Bytes avcc = box("avcC", {1, 0x64, 0x00, 0x28, 0xFF});
  entry.insert(entry.end(), avcc.begin(), avcc.end());
  return box("avc1", entry);
}

// `config`: the AudioSpecificConfig's second byte (its low bits start the channel configuration).
Bytes mp4a_entry(std::uint8_t config = 0x90) {
  Bytes entry(6 + 2 + 8, 0);
  put(entry, 2, 2);   // channels
  put(entry, 16, 2);  // sample size
  put(entry, 0, 4);   // pre-defined, reserved
  put(entry, 48000u << 16, 4);
  // ES_Descriptor > DecoderConfigDescriptor (object type 0x40) > DecoderSpecificInfo (AAC LC = 2).
  const Bytes dsi = {0x05, 0x02, 0x11, config};
  Bytes dcd = {0x04, static_cast<std::uint8_t>(13 + dsi.size()), 0x40, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  dcd.insert(dcd.end(), dsi.begin(), dsi.end());
  Bytes es = {0x03, static_cast<std::uint8_t>(3 + dcd.size()), 0, 1, 0};
  es.insert(es.end(), dcd.begin(), dcd.end());
  const Bytes esds = box("esds", full(0, 0, es));
  entry.insert(entry.end(), esds.begin(), esds.end());
  return box("mp4a", entry);
}

Bytes init_segment(const Bytes& sample_entry, const std::string& handler, std::uint32_t timescale,
                   std::uint32_t default_duration, std::uint32_t default_flags) {
  const Bytes tkhd = box("tkhd", full(0, 3, cat({words({0, 0, 7, 0, 0}), Bytes(60, 0)})));
  const Bytes mdhd = box("mdhd", full(0, 0, words({0, 0, timescale, 0, 0})));
  Bytes hdlr_payload = words({0});
  hdlr_payload.insert(hdlr_payload.end(), handler.begin(), handler.end());
  hdlr_payload.insert(hdlr_payload.end(), 13, 0);
  const Bytes hdlr = box("hdlr", full(0, 0, hdlr_payload));
  const Bytes stsd = box("stsd", full(0, 0, cat({words({1}), sample_entry})));
  const Bytes minf = box("minf", box("stbl", stsd));
  const Bytes trak = box("trak", cat({tkhd, box("mdia", cat({mdhd, hdlr, minf}))}));
  const Bytes trex = box("trex", full(0, 0, words({7, 1, default_duration, 0, default_flags})));
  return cat({box("ftyp", {'c', 'm', 'f', 'c', 0, 0, 0, 0}), box("moov", cat({trak, box("mvex", trex)}))});
}

// A fragment whose trun carries per-sample durations and flags.
Bytes media_segment(std::uint64_t decode_time, const std::vector<std::uint32_t>& durations, bool first_is_sync) {
  const Bytes tfhd = box("tfhd", full(0, 0x020000, words({7})));
  const Bytes tfdt = box("tfdt", full(1, 0, [&] {
                           Bytes b;
                           put(b, decode_time, 8);
                           return b;
                         }()));
  Bytes samples = words({static_cast<std::uint32_t>(durations.size())});
  for (std::size_t i = 0; i < durations.size(); ++i) {
    const std::uint32_t flags = (i == 0 && first_is_sync) ? 0x02000000 : 0x01010000;
    put(samples, durations[i], 4);
    put(samples, 100, 4);
    put(samples, flags, 4);
  }
  const Bytes trun = box("trun", full(0, 0x000700, samples));
  const Bytes moof = box("moof", cat({box("mfhd", full(0, 0, words({1}))), box("traf", cat({tfhd, tfdt, trun}))}));
  return cat({box("styp", {'m', 's', 'd', 'h'}), moof, box("mdat", Bytes(100 * durations.size(), 0xAB))});
}

class BmffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bmff-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const Bytes& bytes) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return path;
  }
  fs::path dir_;
};

TEST_F(BmffTest, ReadsAnAvcInitSegment) {
  const auto track = read_init_segment(write("init.mp4", init_segment(avc1_entry(), "vide", 15360, 512, 0x01010000)));
  ASSERT_TRUE(track.has_value()) << track.error().message;
  EXPECT_EQ(track->handler, "vide");
  EXPECT_EQ(track->track_id, 7U);
  EXPECT_EQ(track->timescale, 15360U);
  EXPECT_EQ(track->codecs, "avc1.640028");
  EXPECT_EQ(track->width, 1920);
  EXPECT_EQ(track->height, 1080);
  EXPECT_EQ(track->default_sample_duration, 512U);
}

// ISO/IEC 14496-15 Annex E.3, with the strings Apple's HLS authoring
// specification lists for Main and Main 10.
TEST(HevcCodecs, FollowsAnnexE) {
  const auto record = [](std::uint8_t first, std::uint32_t compatibility, std::vector<std::uint8_t> constraints,
                         std::uint8_t level) {
    std::vector<std::uint8_t> out = {1, first};
    for (const int shift : {24, 16, 8, 0}) out.push_back(static_cast<std::uint8_t>(compatibility >> shift));
    constraints.resize(6);
    out.insert(out.end(), constraints.begin(), constraints.end());
    out.push_back(level);
    out.resize(23);  // the rest of the record is not read
    return out;
  };
  EXPECT_EQ(hevc_codecs("hvc1", record(0x01, 0x60000000, {0xB0}, 93)), "hvc1.1.6.L93.B0");
  EXPECT_EQ(hevc_codecs("hvc1", record(0x02, 0x20000000, {0xB0}, 120)), "hvc1.2.4.L120.B0");
  // High tier, a profile space, several constraint bytes (the trailing zero ones left out).
  EXPECT_EQ(hevc_codecs("hev1", record(0x61, 0x40000000, {0x90, 0x00, 0x12}, 153)), "hev1.A1.2.H153.90.0.12");
  const std::vector<std::uint8_t> truncated = {1, 2, 3};
  EXPECT_EQ(hevc_codecs("hvc1", truncated), "hvc1") << "a truncated record gives the bare type";
}

TEST_F(BmffTest, ReadsAnAacInitSegment) {
  const auto track = read_init_segment(write("init.mp4", init_segment(mp4a_entry(), "soun", 48000, 1024, 0)));
  ASSERT_TRUE(track.has_value()) << track.error().message;
  EXPECT_EQ(track->handler, "soun");
  EXPECT_EQ(track->codecs, "mp4a.40.2");
  EXPECT_EQ(track->channels, 2);
  EXPECT_EQ(track->sample_rate, 48000);
}

TEST_F(BmffTest, TakesTheChannelCountFromTheAudioSpecificConfig) {
  // AAC LC, 48 kHz, channel configuration 6 (5.1): 00010 0011 0110 000. The sample entry still says 2.
  const auto track = read_init_segment(write("init51.mp4", init_segment(mp4a_entry(0xB0), "soun", 48000, 1024, 0)));
  ASSERT_TRUE(track.has_value()) << track.error().message;
  EXPECT_EQ(track->codecs, "mp4a.40.2");
  EXPECT_EQ(track->channels, 6);
}

TEST_F(BmffTest, SumsSampleDurationsOfAFragment) {
  const auto init = read_init_segment(write("init.mp4", init_segment(avc1_entry(), "vide", 15360, 512, 0)));
  ASSERT_TRUE(init.has_value());
  const auto fragment = read_media_segment(write("seg.m4s", media_segment(61440, {512, 512, 1024}, true)), *init);
  ASSERT_TRUE(fragment.has_value()) << fragment.error().message;
  EXPECT_EQ(fragment->base_media_decode_time, 61440U);
  EXPECT_EQ(fragment->duration, 2048U);
  EXPECT_EQ(fragment->sample_count, 3U);
  EXPECT_TRUE(fragment->starts_with_sync_sample);
}

TEST_F(BmffTest, MovesAFragmentOnTheTimelineByRewritingItsDecodeTime) {
  const auto init = read_init_segment(write("init.mp4", init_segment(avc1_entry(), "vide", 15360, 512, 0)));
  ASSERT_TRUE(init.has_value());
  const auto path = write("seg.m4s", media_segment(61440, {512, 512}, true));
  const auto before = read_media_segment(path, *init);
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->decode_time_bytes, 8);
  EXPECT_EQ(before->first_sample_size, 100U);
  const auto size = fs::file_size(path);
  ASSERT_TRUE(set_decode_time(path, *before, 61440 + 1024).has_value());
  const auto after = read_media_segment(path, *init);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->base_media_decode_time, 62464U);
  EXPECT_EQ(after->duration, before->duration);
  EXPECT_EQ(fs::file_size(path), size);
}

TEST_F(BmffTest, NoticesAFragmentThatDoesNotStartWithAKeyframe) {
  const auto init = read_init_segment(write("init.mp4", init_segment(avc1_entry(), "vide", 15360, 512, 0)));
  ASSERT_TRUE(init.has_value());
  const auto fragment = read_media_segment(write("seg.m4s", media_segment(0, {512, 512}, false)), *init);
  ASSERT_TRUE(fragment.has_value());
  EXPECT_FALSE(fragment->starts_with_sync_sample);
}

TEST_F(BmffTest, RejectsATruncatedSegment) {
  const auto init = read_init_segment(write("init.mp4", init_segment(avc1_entry(), "vide", 15360, 512, 0)));
  ASSERT_TRUE(init.has_value());
  auto bytes = media_segment(0, {512, 512}, true);
  bytes.resize(40);  // cut inside the moof
  const auto fragment = read_media_segment(write("seg.m4s", bytes), *init);
  ASSERT_FALSE(fragment.has_value());
  EXPECT_EQ(fragment.error().code, ErrorCode::kInvalidInput);
}

// A trun that claims 2^32 - 1 samples: with per-sample fields the bytes are
// not there; without them every sample takes the defaults. Either way the
// answer comes at once, not after four billion iterations (bmff_fuzzer found it).
TEST_F(BmffTest, BoundsATrunSampleCountByTheBytesThatFollow) {
  const auto init = read_init_segment(write("init.mp4", init_segment(avc1_entry(), "vide", 15360, 512, 0)));
  ASSERT_TRUE(init.has_value());
  const auto segment_with = [](std::uint32_t trun_flags) {
    const Bytes tfhd = box("tfhd", full(0, 0x020000, words({7})));
    const Bytes trun = box("trun", full(0, trun_flags, words({0xFFFFFFFF, 512, 100, 0x02000000})));
    const Bytes moof = box("moof", cat({box("mfhd", full(0, 0, words({1}))), box("traf", cat({tfhd, trun}))}));
    return cat({moof, box("mdat", Bytes(16, 0))});
  };
  const auto started = std::chrono::steady_clock::now();
  const auto claimed = read_media_segment(write("claims.m4s", segment_with(0x000700)), *init);
  ASSERT_FALSE(claimed.has_value());
  EXPECT_NE(claimed.error().message.find("truncated 'trun'"), std::string::npos);
  const auto defaults = read_media_segment(write("defaults.m4s", segment_with(0x000000)), *init);
  ASSERT_TRUE(defaults.has_value()) << defaults.error().message;
  EXPECT_EQ(defaults->sample_count, 0xFFFFFFFFU);
  EXPECT_EQ(defaults->duration, std::uint64_t{0xFFFFFFFF} * 512);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
}

TEST_F(BmffTest, RejectsAFileWithoutMovie) {
  const auto track = read_init_segment(write("junk.mp4", box("free", Bytes(32, 0))));
  ASSERT_FALSE(track.has_value());
  EXPECT_NE(track.error().message.find("moov"), std::string::npos);
}

}  // namespace
}  // namespace st
