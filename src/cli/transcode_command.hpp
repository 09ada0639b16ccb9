// `stream-transcoding transcode INPUT -o DIR`: the whole pipeline on a local file.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "pipeline/pipeline.hpp"
#include "util/signal_watcher.hpp"

namespace st {

// Process exit codes, documented in the README.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;     // bad input or bad usage: retrying the same thing cannot help
inline constexpr int kExitTimeLimit = 124;  // --time-limit was reached (as timeout(1) says it)

struct TranscodeArgs {
  std::string input;
  std::string output;
  std::vector<std::string> renditions;
  std::vector<std::string> subtitles;  // "LANG[:KIND]=FILE"
  std::string ladder = "fixed";        // or "per-title"
  bool json = false;
  bool force = false;
  double time_limit_seconds = 0;
  // Content protection (docs/drm.md): keys from a static key document.
  std::string encrypt = "none";
  std::string drm_systems = "widevine,playready";
  std::string keys_file;  // else the document in $ST_DRM__STATIC_KEYS
  std::string speke_url;  // keys from a SPEKE v2 key server instead
  bool key_per_resolution = false;
  double clear_lead_seconds = 0;
  ProtectionSignalling signalling;
  PipelineOptions pipeline;
};

// Declares the subcommand's options, bound to `args`.
CLI::App* add_transcode_command(CLI::App& app, TranscodeArgs& args);

// Runs it; returns the process exit code (128 + the signal when stopped by one).
int run_transcode(TranscodeArgs args, const SignalWatcher& signals);

// A command line the parser refused: the parser's message on stderr and, when
// `transcode` speaks JSON (--json, or stdout is not a terminal), an `error`
// event on stdout as for any other failure. Returns the exit code.
int report_transcode_usage_error(const CLI::App& app, const CLI::ParseError& error, bool json_requested);

}  // namespace st
