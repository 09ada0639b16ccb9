#include "media_fixtures.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "pipeline/thumbnails.hpp"

namespace st::testing {
namespace {

struct Recipe {
  std::vector<std::string> args;  // ffmpeg arguments between "-y" and the output path
  std::string extension;
  std::vector<std::string> remux;  // optional second pass (stream copy) arguments
};

std::vector<std::string> pattern(const std::string& size, const std::string& rate, double seconds) {
  return {"-f", "lavfi", "-i", fmt::format("testsrc2=size={}:rate={}", size, rate), "-t", fmt::format("{}", seconds)};
}
std::vector<std::string> with_tone(std::vector<std::string> args) {
  args.insert(args.end(), {"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-shortest"});
  return args;
}
std::vector<std::string> h264(std::vector<std::string> args, bool audio) {
  args.insert(args.end(), {"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"});
  if (audio) args.insert(args.end(), {"-c:a", "aac"});
  return args;
}

const std::map<std::string, Recipe>& recipes() {
  static const std::map<std::string, Recipe> kRecipes = {
      {"landscape_1080p", {h264(with_tone(pattern("1920x1080", "30", 6)), true), "mp4", {}}},
      {"long_1080p", {h264(with_tone(pattern("1920x1080", "30", 30)), true), "mp4", {}}},
      // Stored landscape, shown portrait: as phones record.
      {"portrait_phone",
       {h264(with_tone(pattern("1920x1080", "30", 3)), true), "mp4", {"-c", "copy", "-metadata:s:v:0", "rotate=90"}}},
      {"silent_360p", {h264(pattern("640x360", "25", 3), false), "mp4", {}}},
      // FFV1 stores odd sizes that H.264 4:2:0 cannot.
      {"odd_853x479",
       {[] {
          auto a = with_tone(pattern("864x480", "30", 3));
          a.insert(a.end(), {"-vf", "scale=853:479,setsar=1,format=yuv444p", "-c:v", "ffv1", "-c:a", "aac"});
          return a;
        }(),
        "mkv",
        {}}},
      {"interlaced_576i",
       {[] {
          auto a = with_tone(pattern("720x576", "25", 3));
          a.insert(a.end(), {"-vf", "setfield=tff", "-c:v", "libx264", "-preset", "ultrafast", "-flags", "+ildct+ilme",
                             "-x264-params", "tff=1", "-c:a", "aac"});
          return a;
        }(),
        "mp4",
        {}}},
      {"uhd_2160p", {h264(pattern("3840x2160", "24", 2), false), "mp4", {}}},
      {"short_2s", {h264(with_tone(pattern("1280x720", "30", 2)), true), "mp4", {}}},
      // A lecture's slides: two still pictures, four seconds each, kept nearly lossless.
      {"slides_720p",
       {{"-f",
         "lavfi",
         "-i",
         "mandelbrot=size=1280x720:rate=30",
         "-f",
         "lavfi",
         "-i",
         "testsrc=size=1280x720:rate=30",
         "-filter_complex",
         "[0:v]trim=end_frame=1,loop=loop=-1:size=1,setpts=N/30/TB,trim=duration=4[a];"
         "[1:v]trim=end_frame=1,loop=loop=-1:size=1,setpts=N/30/"
         "TB,trim=duration=4[b];[a][b]concat=n=2,format=yuv420p[v]",
         "-map",
         "[v]",
         "-c:v",
         "libx264",
         "-preset",
         "medium",
         "-crf",
         "12",
         "-g",
         "60"},
        "mp4",
        {}}},
      // Two seconds of black before the picture: the poster must not be black.
      {"black_opening",
       {[] {
          std::vector<std::string> a = {"-f",
                                        "lavfi",
                                        "-i",
                                        "color=black:size=1280x720:rate=30:duration=2",
                                        "-f",
                                        "lavfi",
                                        "-i",
                                        "testsrc2=size=1280x720:rate=30:duration=3",
                                        "-filter_complex",
                                        "[0:v][1:v]concat=n=2:v=1:a=0[v]",
                                        "-map",
                                        "[v]"};
          return h264(a, false);
        }(),
        "mp4",
        {}}},
      // Three audio tracks told apart by loudness (-6, -18 and -30 dBFS peaks):
      // English stereo (the default), French 5.1, and an English commentary.
      {"three_audio_tracks",
       {[] {
          auto a = pattern("1280x720", "30", 4);
          for (const char* tone :
               {"sine=frequency=440:sample_rate=48000,volume=0.5", "sine=frequency=660:sample_rate=48000,volume=0.125",
                "sine=frequency=880:sample_rate=48000,volume=0.03125"}) {
            a.insert(a.end(), {"-f", "lavfi", "-i", tone});
          }
          a.insert(a.end(), {"-map",
                             "0:v",
                             "-map",
                             "1:a",
                             "-map",
                             "2:a",
                             "-map",
                             "3:a",
                             "-shortest",
                             "-ac:a:1",
                             "6",
                             "-metadata:s:a:0",
                             "language=eng",
                             "-metadata:s:a:1",
                             "language=fre",
                             "-metadata:s:a:2",
                             "language=eng",
                             "-disposition:a:0",
                             "default",
                             "-disposition:a:1",
                             "0",
                             "-disposition:a:2",
                             "comment"});
          return h264(a, true);
        }(),
        "mp4",
        {}}},
      // Broadcast as it arrives: 1080i in MPEG-TS, timestamps starting at 1.47 s, one keyframe.
      {"ts_1080i_offset",
       {[] {
          auto a = with_tone(pattern("1920x1080", "25", 6));
          a.insert(a.end(), {"-vf", "setfield=tff", "-c:v", "libx264", "-preset", "ultrafast", "-flags", "+ildct+ilme",
                             "-x264-params", "tff=1", "-c:a", "aac", "-output_ts_offset", "1.47", "-f", "mpegts"});
          return a;
        }(),
        "ts",
        {}}},
      // The sound starts 1.5 s after the picture.
      {"late_audio",
       {[] {
          auto a = pattern("1280x720", "30", 6);
          a.insert(a.end(), {"-itsoffset", "1.5", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-map",
                             "0:v", "-map", "1:a", "-t", "6"});
          return h264(a, true);
        }(),
        "mp4",
        {}}},
      // HDR10 (PQ, BT.2020, HEVC Main 10) and HLG, made from the test pattern by zscale.
      {"hdr10_pq",
       {[] {
          auto a = pattern("1280x720", "25", 2);
          a.insert(a.end(), {"-vf",
                             "zscale=tin=bt709:min=bt709:pin=bt709:t=smpte2084:m=bt2020nc:p=bt2020:npl=100,"
                             "format=yuv420p10le",
                             "-c:v", "libx265", "-preset", "ultrafast", "-x265-params",
                             "log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc"});
          return a;
        }(),
        "mp4",
        {}}},
      {"hlg",
       {[] {
          auto a = pattern("1280x720", "25", 2);
          a.insert(a.end(), {"-vf",
                             "zscale=tin=bt709:min=bt709:pin=bt709:t=arib-std-b67:m=bt2020nc:p=bt2020:npl=100,"
                             "format=yuv420p10le",
                             "-c:v", "libx265", "-preset", "ultrafast", "-x265-params",
                             "log-level=error:colorprim=bt2020:transfer=arib-std-b67:colormatrix=bt2020nc"});
          return a;
        }(),
        "mp4",
        {}}},
      {"audio_only",
       {{"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "3", "-c:a", "aac"}, "m4a", {}}},
      {"image_png",
       {{"-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", "-f", "image2", "-c:v", "png"}, "png", {}}},
  };
  return kRecipes;
}

fs::path media_dir() {
  return fs::path(ST_TEST_MEDIA_DIR);
}

void run_ffmpeg(std::vector<std::string> args, const fs::path& output) {
  std::vector<std::string> argv = {"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(output.string());
  auto run = run_captured({.argv = argv}, 1 << 20);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  ASSERT_TRUE(run->result.succeeded()) << run->result.describe() << ": " << run->result.stderr_tail;
}

fs::path test_root() {
  static const fs::path root = [] {
    auto dir = fs::temp_directory_path() / fmt::format("st-integration-{}", ::getpid());
    fs::create_directories(dir);
    if (std::getenv("ST_KEEP_TEST_OUTPUT") == nullptr) {
      std::atexit([] { fs::remove_all(fs::temp_directory_path() / fmt::format("st-integration-{}", ::getpid())); });
    }
    return dir;
  }();
  return root;
}

}  // namespace

fs::path source(const std::string& name) {
  const auto& recipe = recipes().at(name);
  const auto path = media_dir() / fmt::format("{}.{}", name, recipe.extension);
  if (fs::exists(path)) return path;
  fs::create_directories(media_dir());
  // Generated under a unique name and renamed: tests running in parallel may race here.
  const auto temp = media_dir() / fmt::format("{}.tmp{}.{}", name, ::getpid(), recipe.extension);
  run_ffmpeg(recipe.args, temp);
  if (!recipe.remux.empty()) {
    const auto remuxed = media_dir() / fmt::format("{}.remux{}.{}", name, ::getpid(), recipe.extension);
    std::vector<std::string> args = {"-i", temp.string()};
    args.insert(args.end(), recipe.remux.begin(), recipe.remux.end());
    run_ffmpeg(args, remuxed);
    fs::rename(remuxed, temp);
  }
  fs::rename(temp, path);
  return path;
}

fs::path fresh_dir(const std::string& name) {
  const auto dir = test_root() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<nlohmann::json> CliRun::events() const {
  std::vector<nlohmann::json> out;
  for (const auto& line : stdout_lines) {
    auto parsed = nlohmann::json::parse(line, nullptr, false);
    if (!parsed.is_discarded()) out.push_back(std::move(parsed));
  }
  return out;
}

CliRun run_cli(const std::vector<std::string>& args, const std::function<void(std::string_view, pid_t)>& on_line) {
  std::vector<std::string> argv = {ST_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  CliRun run;
  auto process = Process::spawn({.argv = argv, .limits = {.wall_time = std::chrono::minutes(10)}});
  EXPECT_TRUE(process.has_value()) << process.error().message;
  if (!process) return run;
  const pid_t pid = process->pid();
  run.result = process->wait([&](std::string_view line) {
    run.stdout_lines.emplace_back(line);
    if (on_line) on_line(line, pid);
  });
  return run;
}

nlohmann::json read_json(const fs::path& path) {
  return nlohmann::json::parse(read_text(path));
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::json probe_rendition(const fs::path& folder) {
  const auto joined = folder / "first-segment-for-probe.mp4";
  {
    std::ofstream out(joined, std::ios::binary);
    out << read_text(folder / "init.mp4") << read_text(folder / "seg-00001.m4s");
  }
  auto run = run_captured({.argv = {"ffprobe", "-v", "error", "-select_streams", "v:0", "-show_streams",
                                    "-count_frames", "-print_format", "json", joined.string()}},
                          1 << 20);
  fs::remove(joined);
  EXPECT_TRUE(run.has_value());
  if (!run) return {};
  const auto doc = nlohmann::json::parse(run->stdout_text, nullptr, false);
  if (doc.is_discarded() || doc["streams"].empty()) return {};
  return doc["streams"][0];
}

double mean_volume_db(const fs::path& folder) {
  const auto joined = folder / "joined-for-volume.mp4";
  {
    std::ofstream out(joined, std::ios::binary);
    out << read_text(folder / "init.mp4");
    for (int n = 1; fs::exists(folder / fmt::format("seg-{:05d}.m4s", n)); ++n) {
      out << read_text(folder / fmt::format("seg-{:05d}.m4s", n));
    }
  }
  auto run = run_captured(
      {.argv = {"ffmpeg", "-hide_banner", "-nostdin", "-i", joined.string(), "-af", "volumedetect", "-f", "null", "-"}},
      1 << 20);
  fs::remove(joined);
  EXPECT_TRUE(run.has_value());
  if (!run) return 0;
  const auto& text = run->result.stderr_tail;
  const auto at = text.find("mean_volume: ");
  EXPECT_NE(at, std::string::npos) << text;
  return at == std::string::npos ? 0 : std::stod(text.substr(at + 13));
}

double average_luma(const fs::path& image) {
  auto run = run_captured({.argv = {"ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-i", image.string(),
                                    "-vf", "signalstats,metadata=mode=print:file=-", "-f", "null", "-"}},
                          1 << 20);
  EXPECT_TRUE(run.has_value());
  return run ? parse_signalstats(run->stdout_text).average : -1;
}

std::vector<std::string> tree(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    out.push_back(fs::relative(entry.path(), dir).string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace st::testing
