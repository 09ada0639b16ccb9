#include "pipeline/ladder.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace st {
namespace {

MediaInfo source(int width, int height, Rational rate = {30, 1}, bool audio = true) {
  MediaInfo info;
  info.duration_seconds = 10;
  info.video.width = width;
  info.video.height = height;
  info.video.frame_rate = rate;
  if (audio) info.audio.push_back({.index = 1, .codec = "aac", .channels = 2, .sample_rate = 48000, .language = ""});
  return info;
}

std::vector<std::string> sizes(const Ladder& ladder) {
  std::vector<std::string> out;
  for (const auto& r : ladder.video) out.push_back(std::to_string(r.width) + "x" + std::to_string(r.height));
  return out;
}

Ladder plan(const MediaInfo& info, std::vector<std::string> names = {}) {
  auto ladder = LadderPlanner({.renditions = std::move(names)}).plan(info);
  EXPECT_TRUE(ladder.has_value()) << (ladder ? "" : ladder.error().message);
  return ladder ? *ladder : Ladder{};
}

TEST(LadderPlanner, Landscape1080pGetsEveryProfileUpTo1080p) {
  const auto ladder = plan(source(1920, 1080));
  EXPECT_EQ(sizes(ladder), (std::vector<std::string>{"1920x1080", "1280x720", "854x480", "640x360", "426x240"}));
  EXPECT_EQ(ladder.video.front().name, "1080p");
  EXPECT_EQ(ladder.video.front().bitrate_kbps, 5000);
  EXPECT_EQ(ladder.audio.size(), 1U);
  EXPECT_FALSE(ladder.deinterlace);
}

TEST(LadderPlanner, A4KSourceGetsTheFullLadderIncluding1440pAnd2160p) {
  const auto ladder = plan(source(3840, 2160, {24, 1}));
  ASSERT_EQ(ladder.video.size(), 7U);
  EXPECT_EQ(ladder.video[0].name, "2160p");
  EXPECT_EQ(ladder.video[1].name, "1440p");
  EXPECT_EQ(sizes(ladder).front(), "3840x2160");
}

TEST(LadderPlanner, NeverUpscales) {
  const auto ladder = plan(source(1280, 720));
  for (const auto& r : ladder.video) {
    EXPECT_LE(r.width, 1280);
    EXPECT_LE(r.height, 720);
  }
  EXPECT_EQ(ladder.video.front().name, "720p");
  ASSERT_FALSE(ladder.notes.empty());
  EXPECT_NE(ladder.notes.front().find("skipped"), std::string::npos);
}

TEST(LadderPlanner, PortraitSourcesGetPortraitRenditions) {
  const auto ladder = plan(source(1080, 1920));
  EXPECT_EQ(sizes(ladder), (std::vector<std::string>{"1080x1920", "720x1280", "480x854", "360x640", "240x426"}));
}

TEST(LadderPlanner, RotationMetadataDecidesTheOrientation) {
  auto phone = source(1920, 1080);
  phone.video.rotation = 90;  // stored landscape, shown portrait
  const auto ladder = plan(phone);
  EXPECT_EQ(sizes(ladder).front(), "1080x1920");
  phone.video.rotation = 180;
  EXPECT_EQ(sizes(plan(phone)).front(), "1920x1080");
}

TEST(LadderPlanner, OddDimensionsBecomeEvenAndKeepTheAspectRatio) {
  const auto ladder = plan(source(853, 479));
  for (const auto& r : ladder.video) {
    EXPECT_EQ(r.width % 2, 0) << r.name;
    EXPECT_EQ(r.height % 2, 0) << r.name;
    EXPECT_LE(r.width, 853);
    EXPECT_LE(r.height, 479);
    EXPECT_NEAR(static_cast<double>(r.width) / r.height, 853.0 / 479.0, 0.02) << r.name;
  }
  EXPECT_EQ(ladder.video.front().name, "480p");
}

TEST(LadderPlanner, UltraWideSourcesFitTheBoxByWidth) {
  const auto ladder = plan(source(1920, 800));
  EXPECT_EQ(sizes(ladder).front(), "1920x800");
  EXPECT_EQ(ladder.video.front().name, "1080p");
  // Fewer pixels than the 1080p box, so fewer bits.
  EXPECT_LT(ladder.video.front().bitrate_kbps, 5000);
}

TEST(LadderPlanner, AnamorphicSourcesAreShownAtTheirDisplayAspect) {
  auto dvd = source(720, 576, {25, 1});
  dvd.video.sample_aspect = {16, 15};  // displays as 768x576, 4:3
  const auto ladder = plan(dvd);
  EXPECT_EQ(sizes(ladder).front(), "640x480");
}

TEST(LadderPlanner, ASourceSmallerThanEveryProfileGetsOneRenditionAtItsOwnSize) {
  const auto ladder = plan(source(320, 180));
  ASSERT_EQ(ladder.video.size(), 1U);
  EXPECT_EQ(sizes(ladder).front(), "320x180");
  EXPECT_EQ(ladder.video.front().name, "180p");
}

TEST(LadderPlanner, NeverExceedsTheSourceFrameRate) {
  const auto ladder = plan(source(1280, 720, {24000, 1001}));
  for (const auto& r : ladder.video) EXPECT_EQ(r.frame_rate, (Rational{24000, 1001})) << r.name;
}

TEST(LadderPlanner, HighFrameRateKeepsHdAt60AndHalvesSd) {
  const auto ladder = plan(source(1920, 1080, {60, 1}));
  EXPECT_EQ(ladder.video[0].frame_rate, (Rational{60, 1}));
  EXPECT_EQ(ladder.video[1].frame_rate, (Rational{60, 1}));
  EXPECT_EQ(ladder.video[2].frame_rate, (Rational{30, 1}));  // 480p
  EXPECT_EQ(ladder.video[0].bitrate_kbps, 7500);             // 1.5x for 60 fps
  EXPECT_EQ(ladder.video[2].bitrate_kbps, 1400);
  const auto pal = plan(source(1280, 720, {50, 1}));
  EXPECT_EQ(pal.video.back().frame_rate, (Rational{25, 1}));
}

TEST(LadderPlanner, ASilentSourceMakesALadderWithoutAudio) {
  const auto ladder = plan(source(1280, 720, {30, 1}, /*audio=*/false));
  EXPECT_TRUE(ladder.audio.empty());
}

TEST(LadderPlanner, AudioLanguageBecomesABcp47Tag) {
  auto info = source(1280, 720);
  info.audio.front().language = "eng";
  const auto ladder = plan(info);
  ASSERT_EQ(ladder.audio.size(), 1U);
  EXPECT_EQ(ladder.audio[0].language, "en");
  EXPECT_EQ(ladder.audio[0].name, "aac-stereo-en");
  EXPECT_EQ(ladder.audio[0].label, "English");
  EXPECT_TRUE(ladder.audio[0].is_default);
}

TEST(LadderPlanner, EveryAudioTrackIsKeptAndSurroundGetsA51RenditionBesideStereo) {
  auto info = source(1280, 720, {30, 1}, /*audio=*/false);
  info.audio = {
      {.index = 1, .codec = "aac", .channels = 2, .sample_rate = 48000, .language = "fre"},
      {.index = 2, .codec = "ac3", .channels = 6, .sample_rate = 48000, .language = "ger", .is_default = true},
      {.index = 3,
       .codec = "aac",
       .channels = 2,
       .sample_rate = 44100,
       .language = "ger",
       .role = AudioRole::kCommentary},
      {.index = 4, .codec = "aac", .channels = 1, .sample_rate = 44100, .language = ""},
      {.index = 5, .codec = "aac", .channels = 2, .sample_rate = 44100, .language = "xx!"},
  };
  const auto ladder = plan(info);
  std::vector<std::string> names;
  for (const auto& a : ladder.audio) names.push_back(a.name);
  EXPECT_EQ(names, (std::vector<std::string>{"aac-stereo-fr", "aac-stereo-de", "aac-5.1-de", "aac-stereo-de-commentary",
                                             "aac-stereo-und", "aac-stereo-und-2"}));
  EXPECT_EQ(ladder.audio[2].channels, 6);
  EXPECT_EQ(ladder.audio[2].source_index, 2);
  EXPECT_GT(ladder.audio[2].bitrate_kbps, ladder.audio[1].bitrate_kbps);
  EXPECT_EQ(ladder.audio[2].label, "German 5.1");
  EXPECT_EQ(ladder.audio[3].label, "German (commentary)");
  EXPECT_EQ(ladder.audio[3].role, AudioRole::kCommentary);
  EXPECT_EQ(ladder.audio[4].language, "und");
  EXPECT_EQ(ladder.audio[4].channels, 2);  // mono becomes stereo
  // The source's default track, stereo: the one players start with.
  for (std::size_t i = 0; i < ladder.audio.size(); ++i) EXPECT_EQ(ladder.audio[i].is_default, i == 1) << i;
}

TEST(LadderPlanner, SpriteTilesKeepTheAspectOfTheTopRendition) {
  const auto landscape = plan(source(1920, 1080));
  ASSERT_TRUE(landscape.sprites.has_value());
  EXPECT_EQ(landscape.sprites->tile_width, 160);
  EXPECT_EQ(landscape.sprites->tile_height, 90);
  EXPECT_EQ(landscape.sprites->tiles_per_sheet(), 25);
  auto info = source(1080, 1920);
  const auto portrait = plan(info);
  ASSERT_TRUE(portrait.sprites.has_value());
  EXPECT_EQ(portrait.sprites->tile_width, 90);
  EXPECT_EQ(portrait.sprites->tile_height, 160);
  LadderOptions off;
  off.sprites.enabled = false;
  const auto none = LadderPlanner(off).plan(source(640, 360));
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->sprites.has_value());
}

TEST(LadderPlanner, HdrSourcesAreToneMappedAndEveryRenditionIsBt709) {
  auto info = source(3840, 2160);
  info.video.color_transfer = "smpte2084";
  info.video.color_matrix = "bt2020nc";
  const auto ladder = plan(info);
  EXPECT_EQ(ladder.tone_map_from, "smpte2084");
  for (const auto& r : ladder.video) EXPECT_EQ(r.color_matrix, "bt709") << r.name;
  EXPECT_TRUE(plan(source(1920, 1080)).tone_map_from.empty());
}

TEST(LadderPlanner, AnHdrLadderOnlyWhereAskedOnlyForHdrAndOnlyHdSized) {
  auto info = source(3840, 2160);
  info.video.color_transfer = "arib-std-b67";
  EXPECT_TRUE(plan(info).hdr_video.empty()) << "not asked";
  LadderOptions options;
  options.hdr_ladder = true;
  const auto ladder = LadderPlanner(options).plan(info);
  ASSERT_TRUE(ladder.has_value());
  std::vector<std::string> names;
  for (const auto& r : ladder->hdr_video) {
    names.push_back(r.name);
    EXPECT_EQ(r.codec, "hevc");
    EXPECT_EQ(r.color_transfer, "arib-std-b67");
    EXPECT_EQ(r.color_primaries, "bt2020");
    EXPECT_EQ(r.color_matrix, "bt2020nc");
  }
  EXPECT_EQ(names, (std::vector<std::string>{"2160p-hdr", "1440p-hdr", "1080p-hdr", "720p-hdr"}));
  EXPECT_EQ(ladder->hdr_video.front().bitrate_kbps,
            static_cast<int>(std::lround(ladder->video.front().bitrate_kbps * kHevcBitrateShare)));
  EXPECT_EQ(ladder->video.front().codec, "h264") << "the SDR ladder stays as it is";
  // An SDR source: nothing to keep.
  const auto sdr = LadderPlanner(options).plan(source(1920, 1080));
  ASSERT_TRUE(sdr.has_value());
  EXPECT_TRUE(sdr->hdr_video.empty());
  // Smaller than HD: the top rung alone.
  auto small = source(854, 480);
  small.video.color_transfer = "smpte2084";
  const auto sd = LadderPlanner(options).plan(small);
  ASSERT_TRUE(sd.has_value());
  ASSERT_EQ(sd->hdr_video.size(), 1U);
  EXPECT_EQ(sd->hdr_video.front().name, "480p-hdr");
}

TEST(LadderPlanner, Bt601SourcesKeepBt601InSdAndConvertInHd) {
  auto info = source(1280, 720);
  info.video.color_matrix = "smpte170m";
  const auto ladder = plan(info);
  ASSERT_EQ(ladder.video.front().name, "720p");
  EXPECT_TRUE(ladder.video.front().from_bt601);
  EXPECT_EQ(ladder.video.front().color_matrix, "bt709");
  EXPECT_FALSE(ladder.video.back().from_bt601);
  EXPECT_EQ(ladder.video.back().color_matrix, "smpte170m");
  // Untagged PAL SD: BT.601 625-line.
  const auto pal = plan(source(720, 576, {25, 1}));
  EXPECT_EQ(pal.video.front().color_primaries, "bt470bg");
  // Untagged HD: BT.709.
  EXPECT_EQ(plan(source(1920, 1080)).video.back().color_matrix, "bt709");
}

TEST(LadderPlanner, TextSubtitlesBecomeTracksAndImageSubtitlesAreSkippedWithAReason) {
  auto info = source(1280, 720);
  info.subtitles = {
      {.index = 2, .codec = "mov_text", .language = "eng"},
      {.index = 3, .codec = "subrip", .language = "eng", .hearing_impaired = true},
      {.index = 4, .codec = "hdmv_pgs_subtitle", .language = "fre"},
      {.index = 5, .codec = "ass", .language = "", .forced = true},
      {.index = 6, .codec = "webvtt", .language = "eng"},
  };
  const auto ladder = plan(info);
  std::vector<std::string> names;
  for (const auto& t : ladder.subtitles) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"en", "en-sdh", "und-forced", "en-2"}));
  EXPECT_TRUE(ladder.subtitles[1].caption);
  EXPECT_EQ(ladder.subtitles[1].label, "English (SDH)");
  EXPECT_TRUE(ladder.subtitles[2].forced);
  ASSERT_EQ(ladder.skipped.size(), 1U);
  EXPECT_EQ(ladder.skipped[0].index, 4);
  EXPECT_NE(ladder.skipped[0].reason.find("image subtitles"), std::string::npos);
}

TEST(LadderPlanner, AHostileNumberOfTracksIsCapped) {
  auto info = source(640, 360, {30, 1}, /*audio=*/false);
  for (int i = 0; i < 40; ++i) {
    info.audio.push_back({.index = 1 + i, .codec = "aac", .channels = 2, .sample_rate = 48000, .language = "eng"});
    info.subtitles.push_back({.index = 100 + i, .codec = "subrip", .language = "eng"});
  }
  const auto ladder = plan(info);
  EXPECT_EQ(ladder.audio.size(), 16U);
  EXPECT_EQ(ladder.subtitles.size(), 32U);
  EXPECT_EQ(ladder.skipped.size(), 24U + 8U);
}

TEST(LadderPlanner, InterlacedSourcesAreDeinterlaced) {
  auto info = source(1920, 1080, {25, 1});
  info.video.interlaced = true;
  EXPECT_TRUE(plan(info).deinterlace);
}

TEST(LadderPlanner, KeepsOnlyTheRequestedRenditions) {
  const auto ladder = plan(source(1920, 1080), {"720p", "360p"});
  EXPECT_EQ(sizes(ladder), (std::vector<std::string>{"1280x720", "640x360"}));
}

TEST(LadderPlanner, RejectsUnknownRenditionNames) {
  const auto ladder = LadderPlanner({.renditions = {"999p"}}).plan(source(1920, 1080));
  ASSERT_FALSE(ladder.has_value());
  EXPECT_EQ(ladder.error().code, ErrorCode::kUsage);
  EXPECT_NE(ladder.error().message.find("999p"), std::string::npos);
}

TEST(LadderPlanner, RefusesWhenNoRequestedRenditionFitsTheSource) {
  const auto ladder = LadderPlanner({.renditions = {"2160p"}}).plan(source(1280, 720));
  ASSERT_FALSE(ladder.has_value());
  EXPECT_EQ(ladder.error().code, ErrorCode::kInvalidInput);
}

TEST(LadderPlanner, VbvLimitsFollowTheTargetBitRate) {
  for (const auto& r : plan(source(1920, 1080)).video) {
    EXPECT_EQ(r.maxrate_kbps, r.bitrate_kbps * 3 / 2) << r.name;
    EXPECT_EQ(r.bufsize_kbits, r.bitrate_kbps * 2) << r.name;
  }
}

TEST(NormaliseFrameRate, SnapsToTheNearestStandardRate) {
  EXPECT_EQ(normalise_frame_rate({30, 1}), (Rational{30, 1}));
  EXPECT_EQ(normalise_frame_rate({2997, 100}), (Rational{30000, 1001}));
  EXPECT_EQ(normalise_frame_rate({2987, 100}), (Rational{30000, 1001}));  // a phone's variable rate
  EXPECT_EQ(normalise_frame_rate({15, 1}), (Rational{15, 1}));
  EXPECT_EQ(normalise_frame_rate({120, 1}), (Rational{120, 1}));
}

}  // namespace
}  // namespace st
