#include "cli/progress_view.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace st {
namespace {

std::string read_all(std::FILE* file) {
  std::rewind(file);
  std::string text;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), file) != nullptr) text += buffer.data();
  return text;
}

TEST(FormatClock, PrintsMinutesAndHours) {
  EXPECT_EQ(format_clock(5), "0:05");
  EXPECT_EQ(format_clock(125), "2:05");
  EXPECT_EQ(format_clock(3725), "1:02:05");
  EXPECT_EQ(format_clock(-1), "--:--");
}

TEST(ProgressBar, FillsInProportion) {
  EXPECT_EQ(progress_bar(0, 10), "[..........]");
  EXPECT_EQ(progress_bar(50, 10), "[#####.....]");
  EXPECT_EQ(progress_bar(100, 10), "[##########]");
  EXPECT_EQ(progress_bar(150, 10), "[##########]");
}

TEST(JsonProgressView, WritesOneJsonObjectPerLine) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  auto view = make_progress_view(/*json=*/true, out);
  view->step_started("encode");
  view->encode_progress({.encoded_seconds = 5, .speed = 2, .frame = 150, .finished = false},
                        {.percent = 25, .eta_seconds = 7.5});
  view->failed({ErrorCode::kInvalidInput, "no video stream"});
  const auto text = read_all(out);
  std::fclose(out);

  std::vector<nlohmann::json> lines;
  std::size_t start = 0;
  for (auto nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    lines.push_back(nlohmann::json::parse(text.substr(start, nl - start)));
    start = nl + 1;
  }
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_EQ(lines[0]["event"], "step");
  EXPECT_EQ(lines[1]["event"], "progress");
  EXPECT_EQ(lines[1]["percent"], 25.0);
  EXPECT_EQ(lines[1]["eta_seconds"], 7.5);
  EXPECT_EQ(lines[1]["speed"], 2.0);
  EXPECT_EQ(lines[2]["event"], "error");
  EXPECT_EQ(lines[2]["code"], "invalid_input");
}

TEST(JsonProgressView, IsChosenWhenOutputIsNotATerminal) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  auto view = make_progress_view(/*json=*/false, out);
  view->step_started("probe");
  const auto text = read_all(out);
  std::fclose(out);
  EXPECT_EQ(text, "{\"event\":\"step\",\"step\":\"probe\"}\n");
}

}  // namespace
}  // namespace st
