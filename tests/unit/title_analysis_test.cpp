#include "pipeline/title_analysis.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "media/quality_scores.hpp"

namespace st {
namespace {

double mse_of(double psnr) {
  return 255.0 * 255.0 / std::pow(10.0, psnr / 10.0);
}

Ladder fixed_ladder() {
  MediaInfo info;
  info.duration_seconds = 10;
  info.video.width = 1920;
  info.video.height = 1080;
  info.video.frame_rate = {30, 1};
  auto ladder = LadderPlanner({.renditions = {"1080p", "720p", "480p"}}).plan(info);
  EXPECT_TRUE(ladder.has_value());
  return *ladder;
}

// A rung whose size alone loses `scaled_psnr` and whose probe at CRF 23 runs
// at `kbps` and `psnr`.
RungProbe probe(std::string name, double scaled_psnr, double kbps, double psnr) {
  return {.rendition = std::move(name),
          .scaled_mse = scaled_psnr >= kMaxPsnr ? 0 : mse_of(scaled_psnr),
          .at_probe_crf = {.kbps = kbps, .mse = mse_of(psnr)}};
}

TitleAnalysis analysis_of(std::vector<RungProbe> rungs) {
  return {.window_starts = {1, 4, 7}, .window_seconds = 1, .probe_crf = 23, .rungs = std::move(rungs)};
}

const RungChoice& choice_of(const std::vector<RungChoice>& choices, const std::string& name) {
  for (const auto& c : choices) {
    if (c.rendition == name) return c;
  }
  throw std::runtime_error("no choice for " + name);
}

TEST(TitleAnalysis, WindowsAreSpreadOverTheVideoAndBounded) {
  EXPECT_EQ(analysis_window_starts(10, 4, 1), (std::vector<double>{1.125, 3.375, 5.625, 7.875}));
  EXPECT_EQ(analysis_window_starts(0.5, 4, 1), (std::vector<double>{0}));  // shorter than a window
  EXPECT_EQ(analysis_window_starts(3, 10, 1).size(), 3U);                  // never overlapping
  EXPECT_TRUE(analysis_window_starts(0, 4, 1).empty());
  EXPECT_TRUE(analysis_window_starts(std::nan(""), 4, 1).empty());
  EXPECT_TRUE(analysis_window_starts(10, 0, 1).empty());
}

TEST(TitleAnalysis, VstatsSeparateKeyframesAndSkipWhatIsNotWellFormed) {
  const std::string text =
      "out=  0 st=  0 frame=     0 q= 29.0 f_size= 132313 s_size=        0kB time= 0.010 br= 31755.1kbits/s type= I\n"
      "out=  0 st=  0 frame=     1 q= 29.0 f_size=   1272 s_size=      129kB time= 0.010 br=   305.3kbits/s type= P\n"
      "out=  1 st=  0 frame=     0 q= 29.0 f_size=   5000 type= I\n"
      "out=  1 st=  0 frame=     1 q= 29.0 f_size=   300 type= B\n"
      "out=  1 st=  0 frame=     2 q= 29.0 f_size=   -30 type= B\n"    // negative: left out
      "out=  7 st=  0 frame=     2 q= 29.0 f_size=   999 type= P\n"    // no such output
      "out=  0 st=  0 frame=     2 q= 29.0 f_size=   1e999 type= P\n"  // not finite
      "out=  0 st=  0 frame=     2 q= 29.0 f_size=   12 type=\n"       // no type
      "garbage\n\n\xff\xfe out= f_size= type= I\n";
  const auto sizes = parse_vstats(text, 2);
  ASSERT_EQ(sizes.size(), 2U);
  EXPECT_EQ(sizes[0].key_frames, 1);
  EXPECT_EQ(sizes[0].key_bytes, 132313);
  EXPECT_EQ(sizes[0].other_frames, 1);
  EXPECT_EQ(sizes[0].other_bytes, 1272);
  EXPECT_EQ(sizes[1].key_bytes, 5000);
  EXPECT_EQ(sizes[1].other_frames, 1);
  EXPECT_TRUE(parse_vstats("", 3).size() == 3 && parse_vstats("", 3)[2].key_frames == 0);
}

TEST(TitleAnalysis, TheFirstPassAimsEachRungAtWhatItsSizeCanShowAndSendsTheHopelessToTheCeiling) {
  const auto ladder = fixed_ladder();
  PerTitleOptions options;
  // 1080p: nothing lost to the size, coding loses 47.9 dB at CRF 23 -> a lower CRF for 57 dB.
  // 720p: its size shows 36.2 dB at best; CRF 23 is already at 35.9 -> a CRF a little lower.
  // 480p: needs 30 Mbit/s at CRF 23 already: over its ceiling whatever the CRF.
  auto analysis = analysis_of(
      {probe("1080p", kMaxPsnr, 836, 47.9), probe("720p", 36.24, 414, 35.87), probe("480p", 26.0, 30000, 25.0)});
  choose_candidates(analysis, ladder, options);
  EXPECT_GE(analysis.rungs[0].candidate_crf, 10);
  EXPECT_LT(analysis.rungs[0].candidate_crf, 16);
  EXPECT_GT(analysis.rungs[1].candidate_crf, analysis.rungs[0].candidate_crf);
  EXPECT_LT(analysis.rungs[1].candidate_crf, 23);
  EXPECT_EQ(analysis.rungs[2].candidate_crf, 0);
}

TEST(TitleAnalysis, ASimpleVideoGetsConstantQualityBelowTheFixedRatesWithTheFixedPeaks) {
  const auto ladder = fixed_ladder();
  PerTitleOptions options;
  auto analysis = analysis_of(
      {probe("1080p", kMaxPsnr, 836, 47.9), probe("720p", 36.24, 414, 35.87), probe("480p", 33.4, 229, 33.13)});
  analysis.rungs[0].candidate_crf = 12;
  analysis.rungs[0].at_candidate = {.kbps = 2036, .mse = mse_of(56.8)};
  analysis.rungs[1].candidate_crf = 16;
  analysis.rungs[1].at_candidate = {.kbps = 714, .mse = mse_of(36.15)};
  analysis.rungs[2].candidate_crf = 17;
  analysis.rungs[2].at_candidate = {.kbps = 356, .mse = mse_of(33.30)};
  std::vector<RungChoice> choices;
  const auto fitted = fit_ladder_to_title(ladder, analysis, options, choices);
  ASSERT_EQ(fitted.video.size(), 3U);
  ASSERT_EQ(choices.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& r = fitted.video[i];
    EXPECT_GT(r.crf, 0) << r.name;
    EXPECT_LT(r.bitrate_kbps, ladder.video[i].bitrate_kbps) << r.name;
    EXPECT_EQ(r.maxrate_kbps, ladder.video[i].maxrate_kbps) << r.name;  // ceiling 1: the fixed peak
    EXPECT_EQ(r.width, ladder.video[i].width);
    EXPECT_FALSE(choices[i].reason.empty());
  }
  // 1080p missed 57 dB by a little at CRF 12: one step lower from its own slope.
  EXPECT_EQ(fitted.video[0].crf, 11);
  EXPECT_GE(choices[0].expected_psnr, 56.9);
  // 720p met its target (36.24 - 0.1) at CRF 16: kept.
  EXPECT_EQ(fitted.video[1].crf, 16);
  EXPECT_NEAR(choices[1].expected_psnr, 36.15, 0.01);
}

TEST(TitleAnalysis, RatesStayWithinTheFloorAndTheCeiling) {
  const auto ladder = fixed_ladder();
  PerTitleOptions options{.floor = 0.3, .ceiling = 0.8};
  auto analysis =
      analysis_of({probe("1080p", kMaxPsnr, 300, 55), probe("720p", 30, 1500, 29.5), probe("480p", 28.4, 598, 28.05)});
  // 1080p: 360 kbit/s would do; the floor is 1500.
  analysis.rungs[0].candidate_crf = 20;
  analysis.rungs[0].at_candidate = {.kbps = 360, .mse = mse_of(57.5)};
  // 720p: its candidate needs 4000, above its ceiling of 2240: ABR there.
  analysis.rungs[1].candidate_crf = 14;
  analysis.rungs[1].at_candidate = {.kbps = 4000, .mse = mse_of(29.85)};
  std::vector<RungChoice> choices;
  const auto fitted = fit_ladder_to_title(ladder, analysis, options, choices);
  EXPECT_EQ(choice_of(choices, "1080p").kbps, 1500);
  EXPECT_LT(choice_of(choices, "1080p").crf, 20);
  EXPECT_NE(choice_of(choices, "1080p").reason.find("floor"), std::string::npos);
  EXPECT_EQ(choice_of(choices, "720p").crf, 0);
  EXPECT_EQ(choice_of(choices, "720p").kbps, 2240);
  EXPECT_NE(choice_of(choices, "720p").reason.find("ceiling"), std::string::npos);
  // Peaks at the ceiling's share of the fixed ladder's.
  EXPECT_EQ(fitted.video[0].maxrate_kbps, 6000);
  // At 2240 kbit/s, 720p costs more than 1080p at its floor: not worth a rung.
  EXPECT_TRUE(choice_of(choices, "720p").dropped);
  // 480p was not probed a second time: the first pass found it beyond its ceiling.
  EXPECT_EQ(choice_of(choices, "480p").kbps, 1120);
  EXPECT_EQ(choice_of(choices, "480p").crf, 0);
}

TEST(TitleAnalysis, AtTheCeilingASmallerPictureIsTakenOnlyWhereItMeasuredBetter) {
  const auto ladder = fixed_ladder();
  PerTitleOptions options;
  auto analysis = analysis_of(
      {probe("1080p", kMaxPsnr, 30000, 35), probe("720p", 27.6, 8270, 26.9), probe("480p", 26.0, 2676, 25.6)});
  analysis.rungs[0].at_ceiling = {.kbps = 5000, .mse = mse_of(26.1)};
  analysis.rungs[0].smaller_at_ceiling = {.kbps = 5000, .mse = mse_of(26.5)};
  analysis.rungs[1].at_ceiling = {.kbps = 2800, .mse = mse_of(25.8)};
  analysis.rungs[1].smaller_at_ceiling = {.kbps = 2800, .mse = mse_of(25.83)};  // better, but by less than 0.05 dB
  std::vector<RungChoice> choices;
  const auto fitted = fit_ladder_to_title(ladder, analysis, options, choices);
  ASSERT_EQ(fitted.video.size(), 3U);
  EXPECT_EQ(fitted.video[0].name, "1080p");
  EXPECT_EQ(fitted.video[0].width, 1600);
  EXPECT_EQ(fitted.video[0].height, 900);
  EXPECT_EQ(fitted.video[0].crf, 0);
  EXPECT_EQ(fitted.video[0].bitrate_kbps, 5000);
  EXPECT_EQ(fitted.video[1].width, 1280);
  EXPECT_EQ(fitted.video[2].bitrate_kbps, 1400);  // at the ceiling, at its own size
  EXPECT_EQ(fitted.video[2].width, 854);
}

TEST(TitleAnalysis, ARungCostingNearlyAsMuchAsTheOneAboveIsDropped) {
  const auto ladder = fixed_ladder();
  PerTitleOptions options;
  auto analysis = analysis_of(
      {probe("1080p", kMaxPsnr, 666, 43.6), probe("720p", 29.9, 1076, 29.4), probe("480p", 28.35, 478, 28.0)});
  analysis.rungs[0].candidate_crf = 10;
  analysis.rungs[0].at_candidate = {.kbps = 1756, .mse = mse_of(57.2)};
  analysis.rungs[1].candidate_crf = 14;  // 720p needs more than 1080p: a 720p rung is not worth having
  analysis.rungs[1].at_candidate = {.kbps = 2500, .mse = mse_of(29.82)};
  analysis.rungs[2].candidate_crf = 16;
  analysis.rungs[2].at_candidate = {.kbps = 900, .mse = mse_of(28.27)};
  std::vector<RungChoice> choices;
  const auto fitted = fit_ladder_to_title(ladder, analysis, options, choices);
  ASSERT_EQ(fitted.video.size(), 2U);
  EXPECT_EQ(fitted.video[0].name, "1080p");
  EXPECT_EQ(fitted.video[1].name, "480p");
  EXPECT_TRUE(choice_of(choices, "720p").dropped);
  EXPECT_NE(choice_of(choices, "720p").reason.find("dropped"), std::string::npos);
  EXPECT_FALSE(fitted.notes.empty());
  // The report carries every rung, dropped ones too, and the probes.
  const auto json = to_json(TitleFit{.analysis = analysis, .rungs = choices});
  EXPECT_EQ(json["rungs"].size(), 3U);
  EXPECT_EQ(json["probes"].size(), 3U);
  EXPECT_EQ(json["rungs"][1]["dropped"], true);
  EXPECT_EQ(json["rungs"][0]["rate_control"], "crf");
}

TEST(TitleAnalysis, LadderModesReadBackAndNothingElseIsOne) {
  EXPECT_EQ(ladder_mode_from_string("fixed"), LadderMode::kFixed);
  EXPECT_EQ(ladder_mode_from_string("per-title"), LadderMode::kPerTitle);
  EXPECT_EQ(to_string(LadderMode::kPerTitle), "per-title");
  EXPECT_FALSE(ladder_mode_from_string("Per-Title"));
  EXPECT_FALSE(ladder_mode_from_string(""));
}

}  // namespace
}  // namespace st

namespace st {
namespace {

TEST(TitleAnalysis, ARungTheAnalysisCouldNotMeasureKeepsTheFixedLaddersRates) {
  const auto ladder = fixed_ladder();
  auto analysis = analysis_of({probe("1080p", kMaxPsnr, 0, 0)});  // no bits measured, and no probe for the others
  std::vector<RungChoice> choices;
  const auto fitted = fit_ladder_to_title(ladder, analysis, PerTitleOptions{}, choices);
  ASSERT_EQ(fitted.video.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(fitted.video[i].bitrate_kbps, ladder.video[i].bitrate_kbps);
    EXPECT_EQ(fitted.video[i].crf, 0);
    EXPECT_NE(choices[i].reason.find("not probed"), std::string::npos);
  }
}

}  // namespace
}  // namespace st
