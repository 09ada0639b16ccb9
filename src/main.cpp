// stream-transcoding: one binary for the one-shot `transcode` command, the
// service (`serve`), its database migrations (`migrate`) and reports (`report`).
#include <algorithm>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/report_command.hpp"
#include "cli/serve_command.hpp"
#include "cli/transcode_command.hpp"
#include "util/signal_watcher.hpp"

int main(int argc, char** argv) {
  // Before any thread exists, so that every thread inherits the blocked signals.
  st::SignalWatcher signals;

  CLI::App app{"StreamTranscoding: adaptive-bitrate HLS + DASH from any video"};
  app.set_version_flag("--version", ST_VERSION);
  app.require_subcommand(1);

  st::TranscodeArgs transcode;
  auto* transcode_cmd = st::add_transcode_command(app, transcode);
  st::ServeArgs serve;
  auto* serve_cmd = st::add_serve_command(app, serve);
  st::ServeArgs migrate;
  auto* migrate_cmd = st::add_migrate_command(app, migrate);
  st::ReportArgs report;
  auto* report_cmd = st::add_report_command(app, report);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // `transcode` reports a refused command line as it reports every failure.
    const std::vector<std::string_view> words(argv + 1, argv + argc);
    if (!words.empty() && words.front() == "transcode") {
      return st::report_transcode_usage_error(app, e, std::ranges::find(words, "--json") != words.end());
    }
    const int code = app.exit(e);
    return code == 0 ? 0 : st::kExitBadInput;
  }

  if (*transcode_cmd) return st::run_transcode(std::move(transcode), signals);
  if (*serve_cmd) return st::run_serve(serve, signals);
  if (*migrate_cmd) return st::run_migrate(migrate);
  if (*report_cmd) return st::run_report(report);
  return st::kExitBadInput;
}
