// The `transcode` command on real sources of every shape, checked from the outside.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "media/quality_scores.hpp"
#include "media_fixtures.hpp"
#include "packaging/webvtt.hpp"

namespace st {
namespace {

using testing::fresh_dir;
using testing::read_json;
using testing::read_text;
using testing::run_cli;
using testing::source;
namespace fs = std::filesystem;

struct Variant {
  std::map<std::string, std::string> attributes;
  std::string uri;
};

// Parses EXT-X-STREAM-INF lines and the URI after each.
std::vector<Variant> variants(const std::string& master) {
  std::vector<Variant> out;
  std::istringstream in(master);
  std::string line;
  const std::regex attribute(R"(([A-Z-]+)=("[^"]*"|[^,]*))");
  while (std::getline(in, line)) {
    if (!line.starts_with("#EXT-X-STREAM-INF:")) continue;
    Variant v;
    const auto list = line.substr(line.find(':') + 1);
    for (auto it = std::sregex_iterator(list.begin(), list.end(), attribute); it != std::sregex_iterator(); ++it) {
      v.attributes[(*it)[1]] = (*it)[2];
    }
    std::getline(in, v.uri);
    out.push_back(v);
  }
  return out;
}

std::vector<std::string> extinf_list(const std::string& playlist) {
  std::vector<std::string> out;
  std::istringstream in(playlist);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("#EXTINF:")) out.push_back(line);
  }
  return out;
}

// Parses the EXT-X-MEDIA lines of a multivariant playlist.
std::vector<std::map<std::string, std::string>> media_renditions(const std::string& master) {
  std::vector<std::map<std::string, std::string>> out;
  std::istringstream in(master);
  std::string line;
  const std::regex attribute(R"(([A-Z-]+)=("[^"]*"|[^,]*))");
  while (std::getline(in, line)) {
    if (!line.starts_with("#EXT-X-MEDIA:")) continue;
    std::map<std::string, std::string> attributes;
    const auto list = line.substr(line.find(':') + 1);
    for (auto it = std::sregex_iterator(list.begin(), list.end(), attribute); it != std::sregex_iterator(); ++it) {
      std::string value = (*it)[2];
      if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
      attributes[(*it)[1]] = value;
    }
    out.push_back(attributes);
  }
  return out;
}

struct Expectation {
  std::vector<std::string> sizes;  // "WxH", largest first
  bool audio = true;
  std::size_t audio_tracks = 1;  // when `audio`
};

// What every successful output must satisfy, whatever the source.
void expect_complete_output(const fs::path& out, const Expectation& expected) {
  ASSERT_TRUE(fs::exists(out / "master.m3u8"));
  ASSERT_TRUE(fs::exists(out / "manifest.mpd"));
  ASSERT_TRUE(fs::exists(out / "report.json"));
  ASSERT_TRUE(fs::exists(out / "thumbnails" / "poster.jpg"));
  EXPECT_FALSE(fs::exists(out / ".encoder"));

  const auto master = read_text(out / "master.m3u8");
  EXPECT_TRUE(master.starts_with("#EXTM3U\n#EXT-X-VERSION:7\n"));
  const auto list = variants(master);
  ASSERT_EQ(list.size(), expected.sizes.size()) << master;

  std::vector<std::string> first_timeline;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& v = list[i];
    for (const char* key : {"BANDWIDTH", "AVERAGE-BANDWIDTH", "CODECS", "RESOLUTION", "FRAME-RATE"}) {
      EXPECT_TRUE(v.attributes.count(key)) << key << " missing on " << v.uri;
    }
    EXPECT_EQ(v.attributes.at("RESOLUTION"), expected.sizes[i]);
    EXPECT_GE(std::stoull(v.attributes.at("BANDWIDTH")), std::stoull(v.attributes.at("AVERAGE-BANDWIDTH")));
    EXPECT_TRUE(v.attributes.at("CODECS").starts_with("\"avc1.")) << v.attributes.at("CODECS");
    EXPECT_EQ(v.attributes.at("CODECS").find("mp4a.40.2") != std::string::npos, expected.audio);
    EXPECT_EQ(v.attributes.count("AUDIO") == 1, expected.audio);

    // Every segment named by the media playlist exists; every rendition cuts at the same instants.
    const auto playlist_path = out / v.uri;
    ASSERT_TRUE(fs::exists(playlist_path)) << v.uri;
    const auto playlist = read_text(playlist_path);
    EXPECT_NE(playlist.find("#EXT-X-ENDLIST"), std::string::npos);
    std::istringstream lines(playlist);
    std::string line;
    while (std::getline(lines, line)) {
      if (!line.empty() && line[0] != '#') {
        EXPECT_TRUE(fs::exists(playlist_path.parent_path() / line)) << line;
      }
    }
    const auto timeline = extinf_list(playlist);
    if (i == 0) {
      first_timeline = timeline;
    } else {
      EXPECT_EQ(timeline, first_timeline) << "segments of " << v.uri << " are not aligned with the top rendition";
    }
  }

  const auto mpd = read_text(out / "manifest.mpd");
  for (const auto& size : expected.sizes) {
    const auto x = size.find('x');
    EXPECT_NE(mpd.find(fmt::format("width=\"{}\" height=\"{}\"", size.substr(0, x), size.substr(x + 1))),
              std::string::npos)
        << size;
  }
  EXPECT_EQ(mpd.find("contentType=\"audio\"") != std::string::npos, expected.audio);
  EXPECT_EQ(master.find("#EXT-X-MEDIA:TYPE=AUDIO") != std::string::npos, expected.audio);

  const auto report = read_json(out / "report.json");
  EXPECT_EQ(report["renditions"].size(), expected.sizes.size());
  EXPECT_EQ(report["audio"].size(), expected.audio ? expected.audio_tracks : 0U);
  for (const auto& r : report["renditions"]) {
    EXPECT_GT(r["measured"]["average_bps"].get<double>(), 0);
    EXPECT_GT(r["size_bytes"].get<double>(), 0);
    EXPECT_GE(r["segment_count"].get<int>(), 1);
  }
  std::vector<std::string> steps;
  for (const auto& s : report["steps"]) steps.push_back(s["name"]);
  EXPECT_EQ(steps,
            (std::vector<std::string>{"probe", "plan", "encode", "quality", "sprites", "package", "thumbnails"}));
  // Every rendition scored against the source, over the windows sampled.
  ASSERT_EQ(report["quality"]["renditions"].size(), expected.sizes.size()) << report["quality"].dump();
  EXPECT_GE(report["quality"]["windows"].size(), 1U);
  for (const auto& q : report["quality"]["renditions"]) {
    EXPECT_GT(q["frames"].get<int>(), 0);
    EXPECT_GT(q["mean"]["psnr"].get<double>(), 20) << q.dump();
    EXPECT_LT(q["mean"]["psnr"].get<double>(), kMaxPsnr) << q.dump();
    EXPECT_GT(q["mean"]["ssim"].get<double>(), 0.5) << q.dump();
    // The worst window's error is above the mean error of all windows.
    EXPECT_LE(q["worst_window"]["psnr"].get<double>(), q["mean"]["psnr"].get<double>() + 0.01) << q.dump();
    EXPECT_GT(q["p5"]["psnr"].get<double>(), 15) << q.dump();
  }
}

const nlohmann::json* encode_command(const nlohmann::json& report) {
  for (const auto& c : report["commands"]) {
    if (c["step"] == "encode") return &c["argv"];
  }
  return nullptr;
}

TEST(Transcode, Landscape1080pWithAudioMakesTheFullHdLadder) {
  const auto dir = fresh_dir("landscape");
  const auto run = run_cli({"transcode", source("landscape_1080p").string(), "-o", (dir / "out").string(),
                            "--segment-duration", "2", "--preset", "veryfast", "--json"});
  ASSERT_EQ(run.result.exit_code, 0) << run.stderr_text();
  expect_complete_output(dir / "out", {{"1920x1080", "1280x720", "854x480", "640x360", "426x240"}, true});
  // An ordinary directory (0777 less the umask), not the staging directory's
  // 0700: a web server running as another user can serve it.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(fs::status(dir / "out").permissions(), static_cast<fs::perms>(0777 & ~mask));

  // H.264 High for every rendition, as the init segments say.
  const auto master = read_text(dir / "out" / "master.m3u8");
  EXPECT_NE(master.find("CODECS=\"avc1.64"), std::string::npos) << master;
  const auto top = testing::probe_rendition(dir / "out" / "video" / "1080p");
  EXPECT_EQ(top["profile"], "High");
  EXPECT_EQ(top["width"], 1920);

  // One ffmpeg decodes the source once for all renditions.
  const auto report = read_json(dir / "out" / "report.json");
  const auto* argv = encode_command(report);
  ASSERT_NE(argv, nullptr);
  EXPECT_EQ(std::count(argv->begin(), argv->end(), "-i"), 1);

  // Progress arrived as JSON lines, and the last line says where the outputs are.
  const auto events = run.events();
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const auto& e) { return e["event"] == "progress"; }));
  EXPECT_EQ(events.back()["event"], "done");
  EXPECT_EQ(events.back()["renditions"].size(), 5U);

  // A smaller rung loses more of the source: the scores fall down the ladder.
  const auto& quality = report["quality"]["renditions"];
  ASSERT_EQ(quality.size(), 5U);
  for (std::size_t i = 1; i < quality.size(); ++i) {
    EXPECT_LT(quality[i]["mean"]["psnr"].get<double>(), quality[i - 1]["mean"]["psnr"].get<double>()) << quality.dump();
    EXPECT_LT(quality[i]["mean"]["ssim"].get<double>(), quality[i - 1]["mean"]["ssim"].get<double>()) << quality.dump();
  }

#if !defined(__SANITIZE_ADDRESS__)
  // Our own footprint, ffmpeg aside.
  EXPECT_LT(report["resources"]["self_peak_rss_bytes"].get<double>(), 50.0 * 1024 * 1024);
#endif
}

TEST(Transcode, PortraitPhoneVideoWithRotationMetadataMakesUprightPortraitRenditions) {
  const auto dir = fresh_dir("portrait");
  const auto run = run_cli({"transcode", source("portrait_phone").string(), "-o", (dir / "out").string(), "--preset",
                            "ultrafast", "--segment-duration", "2", "--json"});
  ASSERT_EQ(run.result.exit_code, 0) << run.stderr_text();
  expect_complete_output(dir / "out", {{"1080x1920", "720x1280", "480x854", "360x640", "240x426"}, true});
  // The pixels themselves are upright: no rotation left for the player to apply.
  const auto top = testing::probe_rendition(dir / "out" / "video" / "1080p");
  EXPECT_EQ(top["width"], 1080);
  EXPECT_EQ(top["height"], 1920);
  EXPECT_FALSE(top.contains("side_data_list")) << top.dump();
}

TEST(Transcode, SilentSourceMakesALadderWithoutAudio) {
  const auto dir = fresh_dir("silent");
  const auto run = run_cli({"transcode", source("silent_360p").string(), "-o", (dir / "out").string(), "--preset",
                            "ultrafast", "--segment-duration", "2", "--json"});
  ASSERT_EQ(run.result.exit_code, 0) << run.stderr_text();
  expect_complete_output(dir / "out", {{"640x360", "426x240"}, false});
  EXPECT_FALSE(fs::exists(dir / "out" / "audio"));
}

TEST(Transcode, EveryAudioTrackBecomesARenditionWithItsLanguageRoleAndChannels) {
  const auto dir = fresh_dir("three_audio");
  const auto out = dir / "out";
  // A list as a shell user writes it, with a space.
  const auto run = run_cli({"transcode", source("three_audio_tracks").string(), "-o", out.string(), "--preset",
                            "ultrafast", "--segment-duration", "2", "--renditions", "720p, 360p", "--json"});
  ASSERT_EQ(run.result.exit_code, 0) << run.stderr_text();
  // English stereo, French stereo and 5.1, English commentary.
  expect_complete_output(out, {{"1280x720", "640x360"}, true, 4});

  const auto media = media_renditions(read_text(out / "master.m3u8"));
  ASSERT_EQ(media.size(), 4U);
  const std::vector<std::string> uris = {"audio/aac-stereo-en/playlist.m3u8", "audio/aac-stereo-fr/playlist.m3u8",
                                         "audio/aac-5.1-fr/playlist.m3u8",
                                         "audio/aac-stereo-en-commentary/playlist.m3u8"};
  for (std::size_t i = 0; i < media.size(); ++i) {
    EXPECT_EQ(media[i].at("TYPE"), "AUDIO");
    EXPECT_EQ(media[i].at("GROUP-ID"), "audio-mp4a.40.2");
    EXPECT_EQ(media[i].at("URI"), uris[i]);
    EXPECT_TRUE(fs::exists(out / uris[i])) << uris[i];
  }
  EXPECT_EQ(media[0].at("LANGUAGE"), "en");
  EXPECT_EQ(media[0].at("NAME"), "English");
  EXPECT_EQ(media[0].at("DEFAULT"), "YES");
  EXPECT_EQ(media[1].at("LANGUAGE"), "fr");
  EXPECT_EQ(media[1].at("NAME"), "French");
  EXPECT_EQ(media[1].at("DEFAULT"), "NO");
  EXPECT_EQ(media[2].at("CHANNELS"), "6");
  EXPECT_EQ(media[2].at("NAME"), "French 5.1");
  EXPECT_EQ(media[3].at("NAME"), "English (commentary)");
  EXPECT_EQ(media[3].at("AUTOSELECT"), "NO");
  EXPECT_EQ(media[3].at("CHARACTERISTICS"), "public.auxiliary-content");

  // Each rendition holds its own source track: the tones are 12 dB apart
  // (lavfi's sine is 1/8 of full scale, -21 dBFS mean, then x0.5, x0.125, x0.03125).
  EXPECT_NEAR(testing::mean_volume_db(out / "audio" / "aac-stereo-en"), -30, 1.5);
  EXPECT_NEAR(testing::mean_volume_db(out / "audio" / "aac-stereo-fr"), -42, 1.5);
  EXPECT_NEAR(testing::mean_volume_db(out / "audio" / "aac-stereo-en-commentary"), -54, 1.5);

  const auto mpd = read_text(out / "manifest.mpd");
  EXPECT_NE(mpd.find(R"(lang="fr" segmentAlignment="true" startWithSAP="1">
      <Role schemeIdUri="urn:mpeg:dash:role:2011" value="alternate" />)"),
            std::string::npos)
      << mpd;
  EXPECT_NE(mpd.find(R"(<Role schemeIdUri="urn:mpeg:dash:role:2011" value="commentary" />)"), std::string::npos);
  EXPECT_NE(mpd.find(R"(<Representation id="aac-5.1-fr" )"), std::string::npos);
  EXPECT_NE(mpd.find(R"(audio_channel_configuration:2011" value="6" />)"), std::string::npos);

  const auto report = read_json(out / "report.json");
  ASSERT_EQ(report["audio"].size(), 4U);
  EXPECT_EQ(report["audio"][2]["channels"], 6);
  EXPECT_EQ(report["audio"][3]["role"], "commentary");
  EXPECT_EQ(report["audio"][0]["default"], true);
  EXPECT_EQ(report["source"]["audio"].size(), 3U);
}

// The frames ffprobe finds in `bytes` of a segment after its init segment.
nlohmann::json probe_frames(const fs::path& init, const fs::path& segment, std::uint64_t offset, std::uint64_t length,
                            const fs::path& scratch) {
  const auto data = read_text(segment);
  {
    std::ofstream out(scratch, std::ios::binary);
    out << read_text(init) << data.substr(offset, length);
  }
  auto run = run_captured({.argv = {"ffprobe", "-v", "quiet", "-select_streams", "v:0", "-show_frames", "-show_entries",
                                    "frame=key_frame,pict_type", "-print_format", "json", scratch.string()}},
                          1 << 20);
  EXPECT_TRUE(run.has_value());
  return run ? nlohmann::json::parse(run->stdout_text, nullptr, false)["frames"] : nlohmann::json();
}

TEST(Transcode, TrickPlayGetsSpriteSheetsAThumbnailTrackAndIFramePlaylists) {
  const auto dir = fresh_dir("trick_play");
  const auto out = dir / "out";
  const auto run = run_cli({"transcode", source("landscape_1080p").string(), "-o", out.string(), "--preset",
                            "ultrafast", "--segment-duration", "2", "--renditions", "720p,360p", "--json"});
  ASSERT_EQ(run.result.exit_code, 0) << run.stderr_text();

  // Six seconds (and a few audio frames), a tile every 2 s: 160x90 tiles on one 5x5 sheet of 800x450.
  const auto report = read_json(out / "report.json");
  const double duration = report["output"]["duration_seconds"];
  const auto tiles = static_cast<int>(std::ceil(duration / 2 - 1e-6));
  EXPECT_EQ(report["sprites"]["thumbnails"], tiles);
  ASSERT_TRUE(fs::exists(out / "thumbnails" / "sprite-00001.jpg"));
  EXPECT_FALSE(fs::exists(out / "thumbnails" / "sprite-00002.jpg"));
  auto sheet = run_captured({.argv = {"ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of",
                                      "csv=p=0", (out / "thumbnails" / "sprite-00001.jpg").string()}},
                            4096);
  ASSERT_TRUE(sheet.has_value());
  EXPECT_EQ(sheet->stdout_text, "800,450\n");
  const auto vtt = read_text(out / "thumbnails" / "thumbnails.vtt");
  EXPECT_TRUE(
      vtt.starts_with("WEBVTT\n"
                      "\n00:00:00.000 --> 00:00:02.000\nsprite-00001.jpg#xywh=0,0,160,90\n"
                      "\n00:00:02.000 --> 00:00:04.000\nsprite-00001.jpg#xywh=160,0,160,90\n"
                      "\n00:00:04.000 --> 00:00:06.000\nsprite-00001.jpg#xywh=320,0,160,90\n"))
      << vtt;
  EXPECT_EQ(static_cast<int>(std::count(vtt.begin(), vtt.end(), '#')), tiles);
  const auto mpd = read_text(out / "manifest.mpd");
  EXPECT_NE(mpd.find(R"(<EssentialProperty schemeIdUri="http://dashif.org/thumbnail_tile" value="5x5" />)"),
            std::string::npos);
  EXPECT_NE(mpd.find(R"(width="800" height="450")"), std::string::npos);

  // Every byte range of every I-frame playlist holds exactly one frame, a keyframe.
  const auto master = read_text(out / "master.m3u8");
  for (const char* rendition : {"720p", "360p"}) {
    const auto folder = out / "video" / rendition;
    EXPECT_NE(master.find(fmt::format("URI=\"video/{}/iframes.m3u8\"", rendition)), std::string::npos) << master;
    std::istringstream lines(read_text(folder / "iframes.m3u8"));
    std::string line;
    int ranges = 0;
    while (std::getline(lines, line)) {
      if (!line.starts_with("#EXT-X-BYTERANGE:")) continue;
      const auto at = line.find('@');
      const auto length = std::stoull(line.substr(17, at - 17));
      const auto offset = std::stoull(line.substr(at + 1));
      std::string file;
      std::getline(lines, file);
      const auto frames = probe_frames(folder / "init.mp4", folder / file, offset, length, dir / "iframe.mp4");
      ASSERT_EQ(frames.size(), 1U) << rendition << " " << file;
      EXPECT_EQ(frames[0]["key_frame"], 1);
      EXPECT_EQ(frames[0]["pict_type"], "I");
      ++ranges;
    }
    EXPECT_EQ(ranges, report["renditions"][0]["segment_count"].get<int>()) << rendition;
  }
  EXPECT_EQ(report["renditions"][0]["iframe_playlist"], "video/720p/iframes.m3u8");
}

// Picture and sound start within one frame of each other in every rendition.
// PSNR (dB) of the first frame of `a` against `b`, both decoded by ffmpeg.
double first_frame_psnr(const fs::path& a, const fs::path& b) {
  auto run = run_captured({.argv = {"ffmpeg", "-hide_banner", "-nostdin", "-i", a.string(), "-i", b.string(), "-lavfi",
                                    "[0:v]trim=end_frame=1[x];[1:v]trim=end_frame=1[y];[x][y]psnr", "-f", "null", "-"}},
                          1 << 20);
  EXPECT_TRUE(run.has_value());
  const auto& text = run->result.stderr_tail;
  const auto at = text.find("average:");
  EXPECT_NE(at, std::string::npos) << text;
  return at == std::string::npos ? 0 : std::stod(text.substr(at + 8));
}

void expect_in_sync(const nlohmann::json& report) {
  const double frame = 1.0 / 25;
  for (const auto& a : report["audio"]) {
    for (const auto& v : report["renditions"]) {
      EXPECT_NEAR(a["start_seconds"].get<double>(), v["start_seconds"].get<double>(), frame)
          << a["name"] << " " << v["name"];
    }
  }
}

TEST(Transcode, AnInterlacedTransportStreamWhoseTimestampsStartLateTranscodesWithAPoster) {
  const auto dir = fresh_dir("ts_offset");
  const auto out = dir / "out";
  const auto run = run_cli({"transcode", source("ts_1080i_offset").string(), "-o", out.string(), "--preset",
                            "ultrafast", "--segment-duration", "2", "--renditions", "720p,360p", "--json"});
  ASSERT_EQ(run.result.exit_code, 0) << run.stderr_text();
  expect_complete_output(out, {{"1280x720", "640x360"}, true});
  const auto report = read_json(out / "report.json");
  EXPECT_TRUE(report["ladder"]["deinterlaced"].get<bool>());
  // Seeking the source finds no keyframe after its first: the poster comes from the encoded top rendition.
  EXPECT_EQ(report["poster"]["file"], "thumbnails/poster.jpg");
  EXPECT_GT(testing::average_luma(out / "thumbnails" / "poster.jpg"), 40);
  EXPECT_NEAR(report["output"]["duration_seconds"].get<double>(), 6, 0.5);
  expect_in_sync(report);
}

// The first entry of the first 'elst' box: its media_time (where in the media
// the presentation starts), -1 when there is none.
std::int64_t first_edit_media_time(const std::string& mp4) {
  const auto at = mp4.find("elst");
  if (at == std::string::npos || at + 16 > mp4.size()) return -1;
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(mp4[i]); };
  const bool wide = byte(at + 4) == 1;  // version 1: 64-bit duration and time
  std::size_t pos = at + 4 + 4 + 4 + (wide ? 8 : 4);
  std::int64_t value = 0;
  for (std::size_t i = 0; i < (wide ? 8U : 4U) && pos + i < mp4.size(); ++i) value = (value << 8) | byte(pos + i);
  return value;
}

// A master cut without re-encoding at 1.3 s, between keyframes: its video
// starts with frames that its edit list says not to show. The renditions show
// what the edit list shows, and audio and video start together.
TEST(Transcode, AnMp4WithAnEditListStartsWhereItsEditListSays) {
  const auto dir = fresh_dir("edit_list");
  const auto input = dir / "cut.mp4";
  auto made =
      run_captured({.argv = {"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-ss", "1.3", "-i",
                             source("landscape_1080p").string(), "-t", "4", "-c", "copy", input.string()}},
                   1 << 20);
  ASSERT_TRUE(made.has_value() && made->result.succeeded()) << (made ? made->result.stderr_tail : "");
  ASSERT_GT(first_edit_media_time(read_text(input)), 0) << "the cut needs an edit list that skips frames";
  const auto out = dir / "out";
  const auto run = run_cli({"transcode", input.string(), "-o", out.string(), "--preset", "ultrafast",
                            "--segment-duration", "2", "--renditions", "360p", "--json"});
  ASSERT_EQ(run.result.exit_code, 0) << run.stderr_text();
  const auto report = read_json(out / "report.json");
  expect_in_sync(report);
  // Four seconds as the edit list presents them, not the whole GOP before the cut.
  EXPECT_NEAR(report["output"]["duration_seconds"].get<double>(), 4, 0.25);
  // The first picture is the source's at 1.3 s: the same frame, decoded from both.
  const auto reference = dir / "reference.mkv";
  made = run_captured({.argv = {"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-ss", "1.3", "-i",
                                source("landscape_1080p").string(), "-frames:v", "1", "-vf", "scale=640:360", "-c:v",
                                "ffv1", reference.string()}},
                      1 << 20);
  ASSERT_TRUE(made.has_value() && made->result.succeeded());
  const auto rendition = dir / "rendition.mp4";
  {
    std::ofstream file(rendition, std::ios::binary);
    file << read_text(out / "video" / "360p" / "init.mp4") << read_text(out / "video" / "360p" / "seg-00001.m4s");
  }
  EXPECT_GT(first_frame_psnr(rendition, reference), 30.0);
}

TEST(Transcode, AudioThatStartsLateKeepsItsPlaceAgainstThePicture) {
  const auto dir = fresh_dir("late_audio");
  const auto out = dir / "out";
  const auto run = run_cli({"transcode", source("late_audio").string(), "-o", out.string(), "--preset", "ultrafast",
                            "--segment-duration", "2", "--renditions", "360p", "--json"});
  ASSERT_EQ(run.result.exit_code, 0) << run.stderr_text();
  const auto report = read_json(out / "report.json");
  expect_in_sync(report);
  // The first 1.4 s of the audio rendition are silence, the tone follows.
  const auto folder = out / "audio" / "aac-stereo-und";
  const auto joined = dir / "audio.mp4";
  {
    std::ofstream file(joined, std::ios::binary);
    file << read_text(folder / "init.mp4") << read_text(folder / "seg-00001.m4s");
  }
  const auto peak = [&](const char* range) {
    auto probe = run_captured({.argv = {"ffmpeg", "-hide_banner", "-nostdin", "-i", joined.string(), "-af",
                                        fmt::format("atrim={},volumedetect", range), "-f", "null", "-"}},
                              1 << 20);
    EXPECT_TRUE(probe.has_value());
    const auto& text = probe->result.stderr_tail;
    const auto at = text.find("max_volume: ");
    return at == std::string::npos ? 0.0 : std::stod(text.substr(at + 12));
  };
  EXPECT_LT(peak("0:1.4"), -60);
  EXPECT_GT(peak("1.6:2"), -30);
}

class HdrSource : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

// An HDR source becomes an SDR BT.709 ladder whose pixels match a reference
// tone-mapping of the source (zscale + Hable, 100 nits): at least 35 dB PSNR,
// where truncating the 10-bit PQ values (what the ladder did before) gives about 14.
TEST_P(HdrSource, IsToneMappedToSdrBt709) {
  const auto [name, transfer] = GetParam();
  const auto dir = fresh_dir(name);
  const auto out = dir / "out";
  const auto run = run_cli({"transcode", source(name).string(), "-o", out.string(), "--preset", "ultrafast",
                            "--segment-duration", "2", "--renditions", "720p", "--json"});
  ASSERT_EQ(run.result.exit_code, 0) << run.stderr_text();
  const auto report = read_json(out / "report.json");
  EXPECT_EQ(report["source"]["video"]["color_transfer"], transfer);
  EXPECT_EQ(report["ladder"]["tone_mapped_from"], transfer);
  const auto top = testing::probe_rendition(out / "video" / "720p");
  EXPECT_EQ(top["color_transfer"], "bt709");
  EXPECT_EQ(top["color_primaries"], "bt709");
  EXPECT_EQ(top["color_space"], "bt709");
  EXPECT_EQ(top["pix_fmt"], "yuv420p");

  const auto rendition = dir / "rendition.mp4";
  {
    std::ofstream file(rendition, std::ios::binary);
    file << read_text(out / "video" / "720p" / "init.mp4") << read_text(out / "video" / "720p" / "seg-00001.m4s");
  }
  const auto reference = dir / "reference.mkv";
  auto made = run_captured(
      {.argv = {"ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", source(name).string(), "-vf",
                fmt::format("zscale=tin={}:min=bt2020nc:pin=bt2020:t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,"
                            "tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv,format=yuv420p",
                            transfer),
                "-frames:v", "1", "-c:v", "ffv1", reference.string()}},
      1 << 20);
  ASSERT_TRUE(made.has_value() && made->result.succeeded()) << (made ? made->result.stderr_tail : "");
  EXPECT_GT(first_frame_psnr(rendition, reference), 35.0);
  EXPECT_GT(testing::average_luma(out / "thumbnails" / "poster.jpg"), 40);
}

// Where asked, an HDR source also gets an HEVC Main 10 ladder that keeps its
// HDR: 10-bit, BT.2020, its own transfer, tagged 'hvc1' with the codec string
// read from its hvcC, listed with VIDEO-RANGE in HLS (the SDR variants say SDR)
// and in its own DASH set with the CICP code points; its pixels are the
// source's (scaled, not tone-mapped), while the SDR ladder stays tone-mapped.
TEST_P(HdrSource, GetsAnHevcMain10LadderThatKeepsItsHdrWhereAsked) {
  const auto [name, transfer] = GetParam();
  const bool pq = std::string_view(transfer) == "smpte2084";
  const auto dir = fresh_dir(std::string(name) + "-ladder");
  const auto out = dir / "out";
  const auto run = run_cli({"transcode", source(name).string(), "-o", out.string(), "--preset", "ultrafast",
                            "--segment-duration", "2", "--renditions", "720p,360p", "--hdr-ladder", "--json"});
  ASSERT_EQ(run.result.exit_code, 0) << run.stderr_text();

  const auto hdr = testing::probe_rendition(out / "video" / "720p-hdr");
  EXPECT_EQ(hdr["codec_name"], "hevc");
  EXPECT_EQ(hdr["codec_tag_string"], "hvc1");
  EXPECT_EQ(hdr["profile"], "Main 10");
  EXPECT_EQ(hdr["pix_fmt"], "yuv420p10le");
  EXPECT_EQ(hdr["color_transfer"], transfer);
  EXPECT_EQ(hdr["color_primaries"], "bt2020");
  EXPECT_EQ(hdr["color_space"], "bt2020nc");
  EXPECT_FALSE(fs::exists(out / "video" / "360p-hdr")) << "only HD-sized rungs";
  EXPECT_EQ(testing::probe_rendition(out / "video" / "720p")["color_transfer"], "bt709");

  const auto master = read_text(out / "master.m3u8");
  int hdr_variants = 0;
  int sdr_variants = 0;
  for (const auto& v : variants(master)) {
    const auto& range = v.attributes.at("VIDEO-RANGE");
    if (v.uri.starts_with("video/720p-hdr/")) {
      ++hdr_variants;
      EXPECT_EQ(range, pq ? "PQ" : "HLG");
      EXPECT_TRUE(v.attributes.at("CODECS").starts_with("\"hvc1.2.4.L")) << v.attributes.at("CODECS");
    } else {
      ++sdr_variants;
      EXPECT_EQ(range, "SDR");
      EXPECT_TRUE(v.attributes.at("CODECS").starts_with("\"avc1.")) << v.attributes.at("CODECS");
    }
  }
  EXPECT_EQ(hdr_variants, 1);
  EXPECT_EQ(sdr_variants, 2);
  EXPECT_NE(master.find("URI=\"video/720p-hdr/iframes.m3u8\""), std::string::npos) << master;
  const auto mpd = read_text(out / "manifest.mpd");
  EXPECT_NE(mpd.find(fmt::format(
                "<EssentialProperty schemeIdUri=\"urn:mpeg:mpegB:cicp:TransferCharacteristics\" value=\"{}\" />",
                pq ? 16 : 18)),
            std::string::npos)
      << mpd;
  EXPECT_NE(mpd.find("<Representation id=\"720p-hdr\""), std::string::npos);
  const auto report = read_json(out / "report.json");
  bool listed = false;
  for (const auto& r : report["renditions"]) {
    if (r["name"] == "720p-hdr") {
      listed = true;
      EXPECT_EQ(r["video_range"], pq ? "PQ" : "HLG");
    }
  }
  EXPECT_TRUE(listed);

  // The HDR rendition's first frame against the source scaled to 720p in
  // 10 bits: its own picture, not a tone-mapped one.
  const auto rendition = dir / "hdr.mp4";
  {
    std::ofstream file(rendition, std::ios::binary);
    file << read_text(out / "video" / "720p-hdr" / "init.mp4")
         << read_text(out / "video" / "720p-hdr" / "seg-00001.m4s");
  }
  EXPECT_GT(first_frame_psnr(rendition, source(name)), 35.0);
}

INSTANTIATE_TEST_SUITE_P(Transcode, HdrSource,
                         ::testing::Values(std::make_pair("hdr10_pq", "smpte2084"),
                                           std::make_pair("hlg", "arib-std-b67")));

// A source with subtitle streams: `video`'s picture and sound as they are,
// then each file as a subtitle stream in `codec` with its ISO 639-2 language.
struct SubtitleInput {
  fs::path file;
  std::string codec;
  std::string language;
};

void mux_subtitles(const fs::path& video, const std::vector<SubtitleInput>& subtitles,
                   const std::vector<std::string>& extra, const fs::path& output) {
  std::vector<std::string> argv = {"ffmpeg",   "-hide_banner", "-loglevel", "error",
                                   "-nostdin", "-y",           "-i",        video.string()};
  for (const auto& s : subtitles) argv.insert(argv.end(), {"-i", s.file.string()});
  argv.insert(argv.end(), {"-map", "0:v", "-map", "0:a"});
  for (std::size_t i = 0; i < subtitles.size(); ++i) argv.insert(argv.end(), {"-map", fmt::format("{}:s", i + 1)});
  argv.insert(argv.end(), {"-c:v", "copy", "-c:a", "copy"});
  for (std::size_t i = 0; i < subtitles.size(); ++i) {
    argv.insert(argv.end(), {fmt::format("-c:s:{}", i), subtitles[i].codec, fmt::format("-metadata:s:s:{}", i),
                             "language=" + subtitles[i].language});
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(output.string());
  auto made = run_captured({.argv = argv}, 1 << 20);
  ASSERT_TRUE(made.has_value() && made->result.succeeded()) << (made ? made->result.stderr_tail : "");
}

// Subtitles embedded in MP4 (mov_text) and Matroska (SubRip, ASS) become WebVTT tracks.
TEST(Transcode, TextSubtitlesBecomeWebVttTracksInBothManifests) {
  const auto dir = fresh_dir("subtitles");
  // English with styling, Japanese with a byte order mark and CRLF line ends.
  std::ofstream(dir / "en.srt") << "1\n00:00:02,500 --> 00:00:04,000\nHello <b>there</b>\n\n2\n00:00:04,500 --> "
                                   "00:00:05,500\nSecond line\n";
  std::ofstream(dir / "ja.srt", std::ios::binary) << "\xEF\xBB\xBF"
                                                     "1\r\n00:00:01,000 --> 00:00:02,000\r\n\xE3\x81\x93\xE3\x82"
                                                     "\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF\r\n";
  const auto video = source("landscape_1080p");
  struct Case {
    std::string container;
    std::vector<std::string> codecs;
  };
  for (const Case& c : {Case{"mp4", {"mov_text", "mov_text"}}, Case{"mkv", {"srt", "ass"}}}) {
    const auto input = dir / ("subtitled." + c.container);
    mux_subtitles(video, {{dir / "en.srt", c.codecs[0], "eng"}, {dir / "ja.srt", c.codecs[1], "jpn"}},
                  {"-disposition:s:1", "hearing_impaired"}, input);

    const auto out = dir / ("out-" + c.container);
    const auto run = run_cli({"transcode", input.string(), "-o", out.string(), "--preset", "ultrafast",
                              "--segment-duration", "2", "--renditions", "360p", "--json"});
    ASSERT_EQ(run.result.exit_code, 0) << run.stderr_text();

    const auto media = media_renditions(read_text(out / "master.m3u8"));
    std::vector<std::map<std::string, std::string>> subtitles;
    for (const auto& m : media) {
      if (m.at("TYPE") == "SUBTITLES") subtitles.push_back(m);
    }
    ASSERT_EQ(subtitles.size(), 2U) << c.container;
    EXPECT_EQ(subtitles[0].at("LANGUAGE"), "en");
    EXPECT_EQ(subtitles[0].at("NAME"), "English");
    EXPECT_EQ(subtitles[1].at("LANGUAGE"), "ja");
    EXPECT_EQ(subtitles[1].at("NAME"), "Japanese (SDH)");
    EXPECT_NE(subtitles[1].at("CHARACTERISTICS").find("transcribes-spoken-dialog"), std::string::npos);
    for (const auto& v : variants(read_text(out / "master.m3u8")))
      EXPECT_EQ(v.attributes.at("SUBTITLES"), "\"subtitles\"");

    // The cue at 2.5 s, within a frame (Matroska's timeline starts with the
    // AAC priming, 21 ms before the picture, and the picture moves with it), its
    // text kept; the styling WebVTT can carry may stay.
    const auto english = read_text(out / "subtitles" / "en" / "subtitles.vtt");
    const auto cues = parse_webvtt(english);
    ASSERT_TRUE(cues.has_value()) << english;
    ASSERT_EQ(cues->size(), 2U) << english;
    EXPECT_NEAR((*cues)[0].start, 2.5, 1.0 / 30) << english;
    EXPECT_NEAR((*cues)[0].end - (*cues)[0].start, 1.5, 0.001);
    EXPECT_NE((*cues)[0].text.find("there"), std::string::npos) << english;
    EXPECT_EQ((*cues)[1].text, "Second line");
    const auto second = read_text(out / "subtitles" / "en" / "seg-00002.vtt");
    EXPECT_TRUE(second.starts_with("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n")) << second;
    EXPECT_NE(second.find("there"), std::string::npos);
    EXPECT_EQ(read_text(out / "subtitles" / "en" / "seg-00001.vtt").find("-->"), std::string::npos);
    const auto japanese = read_text(out / "subtitles" / "ja-sdh" / "subtitles.vtt");
    EXPECT_NE(japanese.find("\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF"), std::string::npos)
        << japanese;

    const auto mpd = read_text(out / "manifest.mpd");
    EXPECT_NE(mpd.find(R"(contentType="text" mimeType="text/vtt" lang="en">)"), std::string::npos) << mpd;
    EXPECT_NE(mpd.find(R"(<Role schemeIdUri="urn:mpeg:dash:role:2011" value="caption" />)"), std::string::npos);
    EXPECT_NE(mpd.find("<BaseURL>subtitles/ja-sdh/subtitles.vtt</BaseURL>"), std::string::npos);
    const auto report = read_json(out / "report.json");
    EXPECT_EQ(report["subtitles"].size(), 2U);
    EXPECT_EQ(report["subtitles"][1]["kind"], "caption");
  }
}

// A PGS subtitle stream (Blu-ray's bitmaps; ffmpeg has no encoder for it):
// one display set showing an 8x2 object at `from`, one clearing it at `to`,
// written as the .sup elementary stream ffmpeg's demuxer reads.
std::string pgs_elementary_stream(double from, double to) {
  const auto segment = [](double at, std::uint8_t type, const std::string& data) {
    const auto pts = static_cast<std::uint32_t>(at * 90000);
    std::string out = "PG";
    for (const int shift : {24, 16, 8, 0}) out.push_back(static_cast<char>((pts >> shift) & 0xFF));
    out.append(4, '\0');  // DTS
    out.push_back(static_cast<char>(type));
    out.push_back(static_cast<char>(data.size() >> 8));
    out.push_back(static_cast<char>(data.size() & 0xFF));
    return out + data;
  };
  const auto display_set = [&](double at, bool shown) {
    // Composition: 640x360, epoch start with one object at (100, 300), or none.
    std::string pcs("\x02\x80\x01\x68\x10\x00\x00", 7);
    pcs += shown ? std::string("\x80\x00\x00\x01\x00\x00\x00\x00\x00\x64\x01\x2c", 12)
                 : std::string("\x00\x00\x00\x00", 4);
    std::string out = segment(at, 0x16, pcs);
    out += segment(at, 0x17, std::string("\x01\x00\x00\x64\x01\x2c\x00\x08\x00\x02", 10));
    if (shown) {
      out += segment(at, 0x14, std::string("\x00\x00\x01\xeb\x80\x80\xff", 7));
      std::string rle;
      for (int line = 0; line < 2; ++line) rle += std::string(8, '\x01') + std::string(2, '\0');
      std::string ods("\x00\x00\x00\xc0\x00\x00", 6);
      ods.push_back(static_cast<char>(rle.size() + 4));
      ods += std::string("\x00\x08\x00\x02", 4) + rle;
      out += segment(at, 0x15, ods);
    }
    return out + segment(at, 0x80, "");
  };
  return display_set(from, true) + display_set(to, false);
}

// Sidecar files named beside the source: each usable one becomes a track after
// the source's own, whatever its byte order mark, line ends or legacy encoding;
// each unusable one (not SubRip or WebVTT, a playlist in disguise, too large,
// absent) is reported with its reason and nothing else changes. A PGS stream is
// reported as skipped.
TEST(Transcode, SidecarSubtitlesAreCheckedAndAddedAfterTheSourcesOwnTracks) {
  const auto dir = fresh_dir("sidecars");
  std::ofstream(dir / "embedded.srt") << "1\n00:00:01,000 --> 00:00:02,000\nEmbedded\n";
  std::ofstream(dir / "pgs.sup", std::ios::binary) << pgs_elementary_stream(2, 4);
  const auto input = dir / "source.mkv";
  mux_subtitles(source("landscape_1080p"), {{dir / "embedded.srt", "srt", "eng"}, {dir / "pgs.sup", "copy", "fre"}}, {},
                input);

  // Chinese, Russian and Arabic in one SubRip file.
  std::ofstream(dir / "zh.srt") << "1\n00:00:02,500 --> 00:00:04,000\n你好，世界\nПривет, мир\n\n2\n"
                                   "00:00:04,500 --> 00:00:05,000\nمرحبا بالعالم\n";
  // A byte order mark and CRLF line ends, markup WebVTT cannot carry.
  std::ofstream(dir / "fr.srt", std::ios::binary) << "\xEF\xBB\xBF"
                                                     "1\r\n00:00:02,500 --> 00:00:04,000\r\n{\\an8}<font "
                                                     "color=\"#ff0000\">Bonjour</font> à tous\r\n\r\n";
  std::ofstream(dir / "en.vtt") << "WEBVTT\n\nSTYLE\n::cue { color: red }\n\n00:02.500 --> 00:04.000 line:10%\n"
                                   "[door slams]\n";
  // UTF-16 with its byte order mark, and Windows-1252: both arrive as UTF-8.
  {
    std::ofstream utf16(dir / "it.srt", std::ios::binary);
    utf16 << "\xFF\xFE";
    for (const char c : std::string_view("1\r\n00:00:02,500 --> 00:00:04,000\r\nCiao\r\n")) utf16 << c << '\0';
  }
  std::ofstream(dir / "de.srt", std::ios::binary) << "1\n00:00:02,500 --> 00:00:04,000\nCaf\xe9 Stra\xdf"
                                                     "e\n";
  // Hostile or hopeless.
  std::ofstream(dir / "playlist.srt") << "#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n";
  std::ofstream(dir / "binary.srt", std::ios::binary) << std::string(1000, '\xff');
  std::ofstream(dir / "huge.srt") << "1\n00:00:01,000 --> 00:00:02,000\n" << std::string(3 << 20, 'a') << "\n";
  std::ofstream(dir / "no-cues.vtt") << "WEBVTT\n\nNOTE nothing here\n";

  const auto out = dir / "out";
  const auto arg = [&](const std::string& spec, const std::string& file) { return spec + "=" + (dir / file).string(); };
  const auto run = run_cli({"transcode",
                            input.string(),
                            "-o",
                            out.string(),
                            "--preset",
                            "ultrafast",
                            "--segment-duration",
                            "2",
                            "--renditions",
                            "360p",
                            "--json",
                            "--subtitles",
                            arg("zh-Hans", "zh.srt"),
                            "--subtitles",
                            arg("fre", "fr.srt"),
                            "--subtitles",
                            arg("en:caption", "en.vtt"),
                            "--subtitles",
                            arg("it:forced", "it.srt"),
                            "--subtitles",
                            arg("de", "de.srt"),
                            "--subtitles",
                            arg("es", "playlist.srt"),
                            "--subtitles",
                            arg("es", "binary.srt"),
                            "--subtitles",
                            arg("es", "huge.srt"),
                            "--subtitles",
                            arg("es", "no-cues.vtt"),
                            "--subtitles",
                            arg("es", "absent.srt")});
  ASSERT_EQ(run.result.exit_code, 0) << run.stderr_text();

  std::vector<std::map<std::string, std::string>> subtitles;
  for (const auto& m : media_renditions(read_text(out / "master.m3u8"))) {
    if (m.at("TYPE") == "SUBTITLES") subtitles.push_back(m);
  }
  ASSERT_EQ(subtitles.size(), 6U);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"en", "English"},       {"zh-Hans", "Chinese"},     {"fr", "French"},
      {"en", "English (SDH)"}, {"it", "Italian (forced)"}, {"de", "German"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(subtitles[i].at("LANGUAGE"), expected[i].first) << i;
    EXPECT_EQ(subtitles[i].at("NAME"), expected[i].second) << i;
  }
  EXPECT_EQ(subtitles[4].at("FORCED"), "YES");

  const auto cues_of = [&](const std::string& track) {
    const auto text = read_text(out / "subtitles" / track / "subtitles.vtt");
    auto cues = parse_webvtt(text);
    EXPECT_TRUE(cues.has_value()) << text;
    return cues ? *cues : std::vector<WebVttCue>();
  };
  const auto zh = cues_of("zh-Hans");
  ASSERT_EQ(zh.size(), 2U);
  EXPECT_DOUBLE_EQ(zh[0].start, 2.5);
  EXPECT_EQ(zh[0].text, "你好，世界\nПривет, мир");
  EXPECT_EQ(zh[1].text, "مرحبا بالعالم");
  const auto fr = cues_of("fr");
  ASSERT_EQ(fr.size(), 1U);
  EXPECT_EQ(fr[0].text, "Bonjour à tous") << "the colour and the position are dropped, the text kept";
  EXPECT_EQ(cues_of("en-sdh").at(0).text, "[door slams]");
  EXPECT_EQ(cues_of("it-forced").at(0).text, "Ciao");
  EXPECT_EQ(cues_of("de").at(0).text, "Café Straße");
  // The HLS segment that holds 2.5 s carries the cue.
  EXPECT_NE(read_text(out / "subtitles" / "zh-Hans" / "seg-00002.vtt").find("你好"), std::string::npos);
  const auto mpd = read_text(out / "manifest.mpd");
  EXPECT_NE(mpd.find(R"(contentType="text" mimeType="text/vtt" lang="zh-Hans">)"), std::string::npos) << mpd;

  const auto report = read_json(out / "report.json");
  const auto& skipped = report["ladder"]["skipped_streams"];
  std::map<std::string, std::string> reasons;
  for (const auto& s : skipped) {
    const auto name = s.contains("sidecar") ? s["sidecar"].get<std::string>() : s["codec"].get<std::string>();
    reasons[name] = s["reason"].get<std::string>();
    EXPECT_EQ(s["reason"].get<std::string>().find(dir.string()), std::string::npos) << "no local path: " << s;
  }
  ASSERT_EQ(reasons.size(), 6U) << skipped.dump(1);
  EXPECT_NE(reasons["hdmv_pgs_subtitle"].find("image subtitles"), std::string::npos);
  EXPECT_NE(reasons["playlist.srt"].find("neither SubRip nor WebVTT"), std::string::npos);
  EXPECT_NE(reasons["binary.srt"].find("neither SubRip nor WebVTT"), std::string::npos);
  EXPECT_NE(reasons["huge.srt"].find("more than the 2097152"), std::string::npos);
  EXPECT_NE(reasons["no-cues.vtt"].find("no cue"), std::string::npos) << reasons["no-cues.vtt"];
  EXPECT_FALSE(reasons["absent.srt"].empty());
  EXPECT_EQ(report["subtitles"].size(), 6U);
}

TEST(Transcode, OddDimensionsBecomeEven) {
  const auto dir = fresh_dir("odd");
  const auto run = run_cli({"transcode", source("odd_853x479").string(), "-o", (dir / "out").string(), "--preset",
                            "ultrafast", "--segment-duration", "2", "--json"});
  ASSERT_EQ(run.result.exit_code, 0) << run.stderr_text();
  expect_complete_output(dir / "out", {{"852x478", "640x360", "426x240"}, true});
}

TEST(Transcode, InterlacedSourceIsDeinterlacedOnce) {
  const auto dir = fresh_dir("interlaced");
  const auto run = run_cli({"transcode", source("interlaced_576i").string(), "-o", (dir / "out").string(), "--preset",
                            "ultrafast", "--segment-duration", "2", "--json"});
  ASSERT_EQ(run.result.exit_code, 0) << run.stderr_text();
  // 720x576 fills neither the 720p nor the 1080p box: 480p is its top rendition.
  expect_complete_output(dir / "out", {{"600x480", "450x360", "300x240"}, true});
  const auto report = read_json(dir / "out" / "report.json");
  EXPECT_TRUE(report["source"]["video"]["interlaced"].get<bool>());
  EXPECT_TRUE(report["ladder"]["deinterlaced"].get<bool>());
  const auto* argv = encode_command(report);
  ASSERT_NE(argv, nullptr);
  const auto graph = std::find(argv->begin(), argv->end(), "-filter_complex") + 1;
  EXPECT_EQ(graph->get<std::string>().rfind("bwdif"), graph->get<std::string>().find("bwdif"));  // exactly once
  const auto top = testing::probe_rendition(dir / "out" / "video" / "480p");
  EXPECT_NE(top.value("field_order", "progressive"), "tt");
}

TEST(Transcode, A4KSourceMakesTheFullLadderUpTo2160p) {
  const auto dir = fresh_dir("uhd");
  const auto run = run_cli({"transcode", source("uhd_2160p").string(), "-o", (dir / "out").string(), "--preset",
                            "ultrafast", "--segment-duration", "2", "--json"});
  ASSERT_EQ(run.result.exit_code, 0) << run.stderr_text();
  expect_complete_output(dir / "out",
                         {{"3840x2160", "2560x1440", "1920x1080", "1280x720", "854x480", "640x360", "426x240"}, false});
}

TEST(Transcode, ATwoSecondClipShorterThanOneSegmentWorks) {
  const auto dir = fresh_dir("short");
  const auto run = run_cli(
      {"transcode", source("short_2s").string(), "-o", (dir / "out").string(), "--preset", "ultrafast", "--json"});
  ASSERT_EQ(run.result.exit_code, 0) << run.stderr_text();
  expect_complete_output(dir / "out", {{"1280x720", "854x480", "640x360", "426x240"}, true});
  const auto report = read_json(dir / "out" / "report.json");
  EXPECT_EQ(report["renditions"][0]["segment_count"], 1);
  // Every frame of the source, no more (lavfi made 64 frames for "-t 2" here).
  EXPECT_NEAR(report["renditions"][0]["duration_seconds"].get<double>(),
              report["source"]["duration_seconds"].get<double>(), 0.05);
  EXPECT_LT(report["source"]["duration_seconds"].get<double>(), 4.0);
}

TEST(Transcode, PosterAvoidsABlackOpening) {
  const auto dir = fresh_dir("poster");
  const auto run = run_cli({"transcode", source("black_opening").string(), "-o", (dir / "out").string(), "--preset",
                            "ultrafast", "--renditions", "360p", "--json"});
  ASSERT_EQ(run.result.exit_code, 0) << run.stderr_text();
  const auto luma = testing::average_luma(dir / "out" / "thumbnails" / "poster.jpg");
  EXPECT_GT(luma, 40) << "the poster is black";
  const auto report = read_json(dir / "out" / "report.json");
  EXPECT_GE(report["poster"]["position_seconds"].get<double>(), 2.0);
  EXPECT_EQ(report["poster"]["width"], 1280);
}

// The per-title ladder on a video that needs few bits: the same pictures (every
// rung kept within 0.2 dB of PSNR and 0.002 of SSIM of the fixed ladder's)
// for far fewer bits, each choice explained in the report.
TEST(Transcode, ThePerTitleLadderSpendsFarFewerBitsOnSlidesForTheSamePictures) {
  const auto dir = fresh_dir("per_title");
  const auto run_ladder = [&](const std::string& ladder) {
    const auto out = dir / ladder;
    const auto run = run_cli({"transcode", source("slides_720p").string(), "-o", out.string(), "--ladder", ladder,
                              "--segment-duration", "2", "--quality-windows", "4", "--quality-window-seconds", "2"});
    EXPECT_EQ(run.result.exit_code, 0) << run.stderr_text();
    return read_json(out / "report.json");
  };
  const auto fixed = run_ladder("fixed");
  const auto per_title = run_ladder("per-title");
  EXPECT_EQ(fixed["ladder"]["mode"], "fixed");
  EXPECT_TRUE(fixed["ladder"]["per_title"].is_null());
  ASSERT_EQ(per_title["ladder"]["mode"], "per-title");
  const auto& fit = per_title["ladder"]["per_title"];
  ASSERT_TRUE(fit.contains("rungs")) << fit.dump();
  EXPECT_EQ(fit["rungs"].size(), fixed["renditions"].size());
  for (const auto& rung : fit["rungs"]) EXPECT_FALSE(rung["reason"].get<std::string>().empty()) << rung.dump();

  const auto by_name = [](const nlohmann::json& report) {
    std::map<std::string, std::pair<double, nlohmann::json>> out;  // bytes, quality
    for (const auto& r : report["renditions"]) out[r["name"]].first = r["size_bytes"].get<double>();
    for (const auto& q : report["quality"]["renditions"]) out[q["rendition"]].second = q["mean"];
    return out;
  };
  const auto a = by_name(fixed);
  const auto b = by_name(per_title);
  double fixed_bytes = 0;
  double per_title_bytes = 0;
  for (const auto& [name, rendition] : a) fixed_bytes += rendition.first;
  for (const auto& [name, rendition] : b) {
    per_title_bytes += rendition.first;
    ASSERT_TRUE(a.count(name)) << name;
    const auto& q = rendition.second;
    const auto& reference = a.at(name).second;
    EXPECT_GE(q["psnr"].get<double>(), reference["psnr"].get<double>() - 0.2) << name;
    EXPECT_GE(q["ssim"].get<double>(), reference["ssim"].get<double>() - 0.002) << name;
  }
  EXPECT_LT(per_title_bytes, 0.8 * fixed_bytes) << per_title_bytes << " against " << fixed_bytes;
  // Constant quality within the fixed ladder's peaks: the encode says so.
  const auto* argv = encode_command(per_title);
  ASSERT_NE(argv, nullptr);
  EXPECT_NE(std::find(argv->begin(), argv->end(), "-crf:v:0"), argv->end());
  EXPECT_NE(std::find(argv->begin(), argv->end(), "-maxrate:v:0"), argv->end());
  const auto steps = per_title["steps"];
  EXPECT_TRUE(std::any_of(steps.begin(), steps.end(), [](const auto& s) { return s["name"] == "analyse"; }));
}

TEST(Transcode, RenditionsOptionKeepsOnlyTheNamedProfiles) {
  const auto dir = fresh_dir("subset");
  const auto run = run_cli({"transcode", source("landscape_1080p").string(), "-o", (dir / "out").string(), "--preset",
                            "ultrafast", "--renditions", "720p,360p", "--json"});
  ASSERT_EQ(run.result.exit_code, 0) << run.stderr_text();
  expect_complete_output(dir / "out", {{"1280x720", "640x360"}, true});
}

TEST(Transcode, ForceReplacesAnExistingOutput) {
  const auto dir = fresh_dir("force");
  fs::create_directories(dir / "out");
  std::ofstream(dir / "out" / "stale.txt") << "old";
  const auto run = run_cli({"transcode", source("short_2s").string(), "-o", (dir / "out").string(), "--preset",
                            "ultrafast", "--renditions", "240p", "--force", "--json"});
  ASSERT_EQ(run.result.exit_code, 0) << run.stderr_text();
  EXPECT_FALSE(fs::exists(dir / "out" / "stale.txt"));
  EXPECT_TRUE(fs::exists(dir / "out" / "master.m3u8"));
  EXPECT_EQ(testing::tree(dir).front(), "out");  // nothing else beside it
}

}  // namespace
}  // namespace st
