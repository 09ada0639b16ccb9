#include "pipeline/sidecar_subtitles.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "jobs/job.hpp"

namespace st {
namespace {

using nlohmann::json;

TEST(SidecarFormat, RecognisesSubRipAndWebVttByTheirFirstLines) {
  EXPECT_EQ(sniff_sidecar_format("WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n"), SidecarFormat::kWebVtt);
  EXPECT_EQ(sniff_sidecar_format("WEBVTT - a title\r\n"), SidecarFormat::kWebVtt);
  EXPECT_EQ(sniff_sidecar_format("\xEF\xBB\xBFWEBVTT\n"), SidecarFormat::kWebVtt);
  EXPECT_EQ(sniff_sidecar_format("1\n00:00:01,000 --> 00:00:02,000\nHi\n"), SidecarFormat::kSubRip);
  // A byte order mark, CRLF line ends and blank lines before the first cue.
  EXPECT_EQ(sniff_sidecar_format("\xEF\xBB\xBF\r\n\r\n1\r\n00:00:01,000 --> 00:00:02,000\r\nHi\r\n"),
            SidecarFormat::kSubRip);
  // No cue number; one-digit hours and a '.' before the milliseconds.
  EXPECT_EQ(sniff_sidecar_format("0:00:01.000 --> 0:00:02.000\nHi\n"), SidecarFormat::kSubRip);
  // UTF-16 little and big endian, with their byte order marks.
  const std::string le(
      "\xFF\xFE"
      "1\0\n\0"
      "0\0000\0:\0000\0000\0:\0000\0001\0,\0000\0000\0000\0 \0-\0-\0>\0 \0"
      "0\0000\0:\0000\0000\0:\0000\0002\0,\0000\0000\0000\0\n\0",
      2 + 4 + 29 * 2 + 2);
  EXPECT_EQ(sniff_sidecar_format(le), SidecarFormat::kSubRip);
  std::string be = "\xFE\xFF";
  for (const char c : std::string_view("WEBVTT\n")) be += std::string{'\0', c};
  EXPECT_EQ(sniff_sidecar_format(be), SidecarFormat::kWebVtt);
}

TEST(SidecarFormat, RefusesEverythingElse) {
  for (const std::string_view text :
       {"", "\n\n", "WEBVTTX\n", "#EXTM3U\n#EXTINF:1,\nhttp://127.0.0.1/x\n", "1\nnot a timing\n",
        "[Script Info]\nScriptType: v4.00+\n", "<?xml version=\"1.0\"?><tt/>", "ffconcat version 1.0\nfile /etc/passwd",
        "12:34 --> x\n", "a:00:01,000 --> 00:00:02,000\n"}) {
    EXPECT_FALSE(sniff_sidecar_format(text)) << text;
  }
}

TEST(SidecarStream, CarriesTheLanguageKindAndIndexToThePlanner) {
  const SidecarFile file{.path = "x.srt", .name = "subs/x.srt", .language = "pt-BR", .kind = SubtitleKind::kCaption};
  const auto stream = sidecar_stream(file, SidecarFormat::kSubRip, 3);
  EXPECT_EQ(stream.sidecar, 3);
  EXPECT_EQ(stream.codec, "subrip");
  EXPECT_TRUE(stream.is_text());
  EXPECT_EQ(stream.language, "pt-BR");
  EXPECT_TRUE(stream.hearing_impaired);
  EXPECT_FALSE(stream.forced);
  EXPECT_TRUE(sidecar_stream({.kind = SubtitleKind::kForced}, SidecarFormat::kWebVtt, 0).forced);
}

TEST(SubtitleSidecars, ReadsKeysLanguagesAndKinds) {
  std::vector<std::string> problems;
  const auto sidecars = subtitle_sidecars_from_json(json::parse(R"([
      {"key": "v1/subs/fr.srt", "language": "fre"},
      {"key": "v1/subs/en.vtt", "language": "en", "kind": "caption"},
      {"key": "v1/subs/pt.srt", "language": "pt-BR", "kind": "forced"},
      {"key": "v1/subs/x.srt", "language": "und", "kind": "subtitle"}])"),
                                                    problems);
  EXPECT_TRUE(problems.empty()) << problems.front();
  ASSERT_EQ(sidecars.size(), 4U);
  EXPECT_EQ(sidecars[0].language, "fr") << "normalised to BCP 47";
  EXPECT_EQ(sidecars[0].kind, SubtitleKind::kSubtitle);
  EXPECT_EQ(sidecars[1].kind, SubtitleKind::kCaption);
  EXPECT_EQ(sidecars[2].language, "pt-BR");
  EXPECT_EQ(sidecars[2].kind, SubtitleKind::kForced);
  EXPECT_EQ(sidecars[3].language, "und");
  // And back: what the store and the API write.
  std::vector<std::string> again;
  const auto round_trip = subtitle_sidecars_from_json(to_json(sidecars), again);
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(to_json(round_trip), to_json(sidecars));
}

TEST(SubtitleSidecars, NamesEveryBadEntry) {
  std::vector<std::string> problems;
  const auto sidecars = subtitle_sidecars_from_json(json::parse(R"([
      {"key": "ok.srt", "language": "en"},
      "fr.srt",
      {"key": "../etc/passwd", "language": "en"},
      {"key": "/abs.srt", "language": "en"},
      {"key": "a\\b.srt", "language": "en"},
      {"key": "dir/", "language": "en"},
      {"key": 5, "language": "en"},
      {"key": "x.srt", "language": "xx"},
      {"key": "y.srt", "language": "english"},
      {"key": "z.srt"},
      {"key": "k.srt", "language": "en", "kind": "karaoke"},
      {"key": "ok.srt", "language": "de"}])"),
                                                    problems);
  ASSERT_EQ(sidecars.size(), 1U);
  EXPECT_EQ(sidecars[0].key, "ok.srt");
  ASSERT_EQ(problems.size(), 11U);
  EXPECT_NE(problems[0].find("subtitles[1]"), std::string::npos) << problems[0];
  EXPECT_NE(problems[10].find("subtitles[11].key names a file already listed"), std::string::npos) << problems[10];

  problems.clear();
  EXPECT_TRUE(subtitle_sidecars_from_json(json::object(), problems).empty());
  EXPECT_EQ(problems.size(), 1U);
  problems.clear();
  auto many = json::array();
  for (std::size_t i = 0; i <= kMaxSubtitleSidecars; ++i) {
    many.push_back({{"key", "s" + std::to_string(i) + ".srt"}, {"language", "en"}});
  }
  EXPECT_TRUE(subtitle_sidecars_from_json(many, problems).empty());
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_NE(problems[0].find("at most 16"), std::string::npos);
  // A language tag as long as a key is refused before it is looked up.
  problems.clear();
  EXPECT_TRUE(
      subtitle_sidecars_from_json(json::array({{{"key", "a.srt"}, {"language", std::string(1000, 'a')}}}), problems)
          .empty());
  EXPECT_EQ(problems.size(), 1U);
}

}  // namespace
}  // namespace st
