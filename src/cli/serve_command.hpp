// `stream-transcoding serve` and `stream-transcoding migrate`.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "util/signal_watcher.hpp"

namespace st {

struct ServeArgs {
  std::string role = "all";
  std::string config_file;
};

CLI::App* add_serve_command(CLI::App& app, ServeArgs& args);
CLI::App* add_migrate_command(CLI::App& app, ServeArgs& args);

// Exit codes: 0 after a graceful stop, 1 when a dependency failed, 2 for a bad configuration.
int run_serve(const ServeArgs& args, const SignalWatcher& signals);
int run_migrate(const ServeArgs& args);

}  // namespace st
