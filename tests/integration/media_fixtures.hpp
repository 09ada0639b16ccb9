// Real media and a real binary for the integration tests.
//
// Sources are generated with ffmpeg's lavfi test patterns once and cached under
// the build tree; every test runs the `stream-transcoding` binary the way a user
// does and inspects what it wrote.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/process.hpp"

namespace st::testing {

namespace fs = std::filesystem;

// A generated source, by name: see media_fixtures.cpp for the list.
fs::path source(const std::string& name);

// A fresh, empty directory for one test, removed when the test binary exits.
fs::path fresh_dir(const std::string& name);

struct CliRun {
  ProcessResult result;
  std::vector<std::string> stdout_lines;
  [[nodiscard]] std::string stderr_text() const { return result.stderr_tail; }
  // The JSON lines of a --json run.
  [[nodiscard]] std::vector<nlohmann::json> events() const;
};

// Runs `stream-transcoding ARGS...`; `on_line` sees stdout as it arrives and may stop the run.
CliRun run_cli(const std::vector<std::string>& args, const std::function<void(std::string_view, pid_t)>& on_line = {});

nlohmann::json read_json(const fs::path& path);
std::string read_text(const fs::path& path);

// ffprobe's JSON description of the first video stream of the init + first media
// segment of a rendition folder, concatenated into a playable file.
nlohmann::json probe_rendition(const fs::path& folder);

// The mean volume (dBFS) of an audio rendition folder, all of its segments decoded.
double mean_volume_db(const fs::path& folder);

// Average luma (0..255) of an image, measured by ffmpeg's signalstats.
double average_luma(const fs::path& image);

// Every file and folder below `dir`, as relative paths.
std::vector<std::string> tree(const fs::path& dir);

}  // namespace st::testing
