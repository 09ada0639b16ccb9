#include "pipeline/quality.hpp"

#include <gtest/gtest.h>

#include "jobs/job_outcome.hpp"

namespace st {
namespace {

TEST(PsnrFromMse, IsTheUsualFormulaCappedForIdenticalPictures) {
  EXPECT_NEAR(psnr_from_mse(1.0), 48.13, 0.01);      // 10 log10(255^2)
  EXPECT_NEAR(psnr_from_mse(65025.0), 0.0, 1e-9);    // the largest error
  EXPECT_DOUBLE_EQ(psnr_from_mse(0.0), kMaxPsnr);    // identical
  EXPECT_DOUBLE_EQ(psnr_from_mse(1e-12), kMaxPsnr);  // near enough
  EXPECT_DOUBLE_EQ(psnr_from_mse(-1.0), kMaxPsnr);   // never more than the cap
  EXPECT_DOUBLE_EQ(psnr_from_mse(1e300), 0.0);       // nor less than nothing
}

TEST(ParseQualityStats, PairsPsnrAndSsimLinesByFrame) {
  const auto frames = parse_quality_stats(
      "n:1 mse_avg:14.48 mse_y:9.66 mse_u:11.26 mse_v:36.94 psnr_avg:36.52 psnr_y:38.28 psnr_u:37.62 psnr_v:32.46 \n"
      "n:2 mse_avg:0.00 mse_y:0.00 mse_u:0.00 mse_v:0.00 psnr_avg:inf psnr_y:inf psnr_u:inf psnr_v:inf \n"
      "n:3 mse_avg:2.0 mse_y:1.0\n",
      "n:1 Y:0.977652 U:0.979017 V:0.966936 All:0.976093 (16.214795)\n"
      "n:2 Y:1.000000 U:1.000000 V:1.000000 All:1.000000 (inf)\n");
  ASSERT_EQ(frames.size(), 2U);  // frame 3 has no SSIM line
  EXPECT_DOUBLE_EQ(frames[0].mse, 14.48);
  EXPECT_DOUBLE_EQ(frames[0].mse_y, 9.66);
  EXPECT_DOUBLE_EQ(frames[0].ssim, 0.976093);
  EXPECT_DOUBLE_EQ(frames[1].mse, 0.0);
  EXPECT_DOUBLE_EQ(frames[1].ssim, 1.0);
}

TEST(ParseQualityStats, SkipsWhatIsNotAStatsLine) {
  const auto frames = parse_quality_stats(
      "garbage\nn:x mse_avg:1 mse_y:1\nn:1 mse_avg:nan mse_y:1\nn:2 mse_avg:-4 mse_y:1\nn:3 mse_avg:1e999 mse_y:1\n"
      "n:4 mse_avg:4 mse_y:2\n\n\n",
      "n:1 All:0.9\nn:2 All:0.9\nn:3 All:0.9\nn:4 All:7\nn:5 All:0.5\n");
  EXPECT_TRUE(frames.empty());  // 1: nan, 2: negative, 3: out of range, 4: SSIM beyond 1
  EXPECT_TRUE(parse_quality_stats("", "").empty());
  EXPECT_TRUE(parse_quality_stats(std::string(100000, ':'), std::string(100000, ' ')).empty());
}

TEST(SummariseQuality, MeanPsnrComesFromTheMeanErrorAndTheWorstWindowIsFound) {
  const std::vector<std::vector<FrameQuality>> windows = {
      {{.mse = 1, .mse_y = 1, .ssim = 0.99}, {.mse = 1, .mse_y = 1, .ssim = 0.99}},
      {{.mse = 100, .mse_y = 50, .ssim = 0.8}, {.mse = 0, .mse_y = 0, .ssim = 1.0}},
  };
  const auto q = summarise_quality("720p", windows, {0.0, 8.0});
  EXPECT_EQ(q.rendition, "720p");
  EXPECT_EQ(q.frames, 4);
  // (1 + 1 + 100 + 0) / 4 = 25.5: a perfect frame does not make the mean infinite.
  EXPECT_NEAR(q.mean.psnr, psnr_from_mse(25.5), 1e-9);
  EXPECT_NEAR(q.mean.psnr_y, psnr_from_mse(13.0), 1e-9);
  EXPECT_NEAR(q.mean.ssim, (0.99 + 0.99 + 0.8 + 1.0) / 4, 1e-9);
  EXPECT_NEAR(q.p5.psnr, psnr_from_mse(100), 1e-9);  // the worst of four frames
  EXPECT_NEAR(q.p5.ssim, 0.8, 1e-9);
  EXPECT_DOUBLE_EQ(q.worst_window.start_seconds, 8.0);
  EXPECT_NEAR(q.worst_window.scores.psnr, psnr_from_mse(50), 1e-9);
}

TEST(ChooseQualityWindows, AlwaysTakesTheMostComplexSegmentAndSpreadsTheRest) {
  // Ten 4-second segments; the seventh carries the most bits.
  std::vector<std::uint64_t> sizes(10, 1000);
  sizes[6] = 5000;
  const auto windows = choose_quality_windows(sizes, 4, 40, {.windows = 3, .window_seconds = 1});
  ASSERT_EQ(windows.size(), 3U);
  EXPECT_TRUE(std::is_sorted(windows.begin(), windows.end(),
                             [](const auto& a, const auto& b) { return a.start_seconds < b.start_seconds; }));
  int complex = 0;
  for (const auto& w : windows) {
    EXPECT_DOUBLE_EQ(w.seconds, 1);
    EXPECT_DOUBLE_EQ(w.start_seconds, (w.segment - 1) * 4.0);
    if (w.most_complex) {
      ++complex;
      EXPECT_EQ(w.segment, 7);
    }
  }
  EXPECT_EQ(complex, 1);
  EXPECT_EQ(windows.front().segment, 3);  // the others in the middle of each half: segments 3 and 8
  EXPECT_EQ(windows.back().segment, 8);
}

TEST(ChooseQualityWindows, AShortLastSegmentIsJudgedPerSecondAndBoundsItsWindow) {
  // The last segment lasts 1 s of 9: 600 bytes in 1 s is the densest.
  const auto windows = choose_quality_windows({1000, 1000, 600}, 4, 9, {.windows = 1, .window_seconds = 2});
  ASSERT_EQ(windows.size(), 1U);
  EXPECT_EQ(windows[0].segment, 3);
  EXPECT_DOUBLE_EQ(windows[0].seconds, 1);
}

TEST(ChooseQualityWindows, NeverMoreThanTheSegmentsOrTheCapAndMoreForLongVideos) {
  EXPECT_EQ(choose_quality_windows({1, 2}, 4, 8, {.windows = 5}).size(), 2U);
  EXPECT_TRUE(choose_quality_windows({}, 4, 8, {}).empty());
  EXPECT_TRUE(choose_quality_windows({1, 2}, 0, 8, {}).empty());
  // Two hours of 4-second segments: one window a minute, capped.
  const std::vector<std::uint64_t> long_video(1800, 1000);
  EXPECT_EQ(choose_quality_windows(long_video, 4, 1200, {.windows = 3, .seconds_per_window = 60}).size(), 20U);
  EXPECT_EQ(choose_quality_windows(long_video, 4, 7200, {.windows = 3, .seconds_per_window = 60}).size(),
            static_cast<std::size_t>(kMaxQualityWindows));
}

TEST(RenditionQualityJson, RoundTripsThroughTheOutcome) {
  const RenditionQuality q{.rendition = "480p",
                           .frames = 90,
                           .mean = {.psnr_y = 38.123, .psnr = 36.5, .ssim = 0.981234},
                           .p5 = {.psnr_y = 35.0, .psnr = 34.0, .ssim = 0.97},
                           .worst_window = {.start_seconds = 12, .scores = {.psnr_y = 36, .psnr = 35, .ssim = 0.975}}};
  const auto json = to_json(q);
  EXPECT_DOUBLE_EQ(json.at("mean").at("psnrY").get<double>(), 38.12);  // two decimals
  EXPECT_FALSE(json.contains("rendition"));
  const auto back = rendition_quality_from_json(json);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->frames, 90);
  EXPECT_DOUBLE_EQ(back->worst_window.start_seconds, 12);
  EXPECT_DOUBLE_EQ(back->p5.ssim, 0.97);
  EXPECT_FALSE(rendition_quality_from_json(nlohmann::json::parse(R"({"frames":"many"})")));
  EXPECT_FALSE(rendition_quality_from_json(nlohmann::json::array()));
  // A count beyond an int (found by the reports fuzzer: a cast of 3e47 to int) or below zero.
  auto huge = json;
  huge["frames"] = nlohmann::json::parse("300000000000000000000000000000000000000000000000");
  EXPECT_FALSE(rendition_quality_from_json(huge));
  huge["frames"] = 4294967296ULL;
  EXPECT_FALSE(rendition_quality_from_json(huge));
  huge["frames"] = -1;
  EXPECT_FALSE(rendition_quality_from_json(huge));
  huge["frames"] = 2.5;
  EXPECT_FALSE(rendition_quality_from_json(huge));
  huge["frames"] = 30;
  EXPECT_TRUE(rendition_quality_from_json(huge));

  VideoOutput rendition{.name = "480p", .quality = q};
  JobOutcome outcome;
  outcome.renditions.push_back(rendition);
  const auto read = outcome_from_json(to_json(outcome));
  ASSERT_TRUE(read) << read.error().message;
  ASSERT_TRUE(read->renditions.at(0).quality);
  EXPECT_DOUBLE_EQ(read->renditions.at(0).quality->mean.psnr, 36.5);
  EXPECT_EQ(to_report_json(q).at("rendition"), "480p");
  EXPECT_TRUE(to_report_json(q).at("mean").contains("psnr_y"));
}

}  // namespace
}  // namespace st
