// stream-transcoding: one binary for the one-shot `transcode` command and, in
// later releases, the `serve` and `migrate` commands of the service.
#include <CLI/CLI.hpp>

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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : st::kExitBadInput;
  }

  if (*transcode_cmd) return st::run_transcode(std::move(transcode), signals);
  return st::kExitBadInput;
}
