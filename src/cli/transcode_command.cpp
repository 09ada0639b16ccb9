#include "cli/transcode_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "cli/progress_view.hpp"
#include "drm/speke_key_provider.hpp"
#include "drm/static_key_provider.hpp"
#include "media/languages.hpp"
#include "pipeline/encoder.hpp"
#include "storage/staged_directory.hpp"

namespace st {

CLI::App* add_transcode_command(CLI::App& app, TranscodeArgs& args) {
  auto* cmd = app.add_subcommand("transcode", "Transcode a local video into an HLS + DASH ladder in a directory");
  auto& o = args.pipeline;
  cmd->add_option("input", args.input, "Source video file")->required();
  cmd->add_option("-o,--output", args.output, "Output directory (created; must not exist unless --force)")->required();
  cmd->add_option("--renditions", args.renditions, "Renditions to make, e.g. 1080p,720p (default: every one that fits)")
      ->delimiter(',')
      ->transform([](std::string name) {  // "720p, 480p" as a shell user writes it
        std::erase_if(name, [](char c) { return c == ' ' || c == '\t'; });
        return name;
      });
  cmd->add_option("--subtitles", args.subtitles,
                  "A SubRip or WebVTT file to add as a subtitle track: LANG[:KIND]=FILE, e.g. fr=film.fr.srt or "
                  "en:caption=film.en.vtt (KIND: subtitle, caption, forced); repeatable");
  cmd->add_option("--segment-duration", o.encode.segment_seconds, "Segment duration in seconds")
      ->check(CLI::Range(1.0, 30.0))
      ->capture_default_str();
  cmd->add_option("--preset", o.encode.preset, fmt::format("x264 preset: {}", known_presets()))->capture_default_str();
  cmd->add_flag("--json", args.json, "Print progress and the result as JSON lines");
  cmd->add_flag("--hdr-ladder", o.ladder.hdr_ladder,
                "For an HDR (PQ or HLG) source, also make an HEVC Main 10 ladder that keeps the HDR");
  cmd->add_option("--ladder", args.ladder,
                  "fixed: the standard ladder's bit rates; per-title: each rung's bit rate (and whether it is worth "
                  "having) fitted to this video by probe encodes")
      ->check(CLI::IsMember({"fixed", "per-title"}))
      ->capture_default_str();
  cmd->add_flag("--force", args.force, "Replace the output directory if it exists");
  cmd->add_flag("!--no-quality", o.quality.enabled, "Do not measure PSNR and SSIM of the renditions");
  cmd->add_option("--quality-windows", o.quality.windows,
                  "Windows of the source sampled for PSNR and SSIM (the most complex among them)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_option("--quality-window-seconds", o.quality.window_seconds, "Length of each window (at most a segment)")
      ->check(CLI::Range(0.1, 30.0))
      ->capture_default_str();
  cmd->add_option("--max-duration", o.limits.max_duration_seconds, "Refuse longer sources (seconds)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-width", o.limits.max_width, "Refuse wider sources (pixels)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-height", o.limits.max_height, "Refuse taller sources (pixels)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-frame-rate", o.limits.max_frame_rate, "Refuse faster sources (frames per second)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--time-limit", args.time_limit_seconds, "Kill the encoder after this many seconds (0: no limit)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--encrypt", args.encrypt, "Encryption: none, cenc, cbcs or aes-128 (HLS only)")
      ->check(CLI::IsMember({"none", "cenc", "cbcs", "aes-128"}))
      ->capture_default_str();
  cmd->add_option("--drm-systems", args.drm_systems, "DRM systems to signal: widevine,playready,fairplay,clearkey")
      ->capture_default_str();
  cmd->add_option("--keys", args.keys_file,
                  "Static key document {\"keys\":[{trackType,kid,key}]} (default: the document in "
                  "$ST_DRM__STATIC_KEYS)");
  cmd->add_option("--speke-url", args.speke_url, "Keys from this SPEKE v2 key server instead (unsigned)");
  cmd->add_flag("--key-per-resolution", args.key_per_resolution, "One key each for SD, HD and UHD video");
  cmd->add_option("--clear-lead", args.clear_lead_seconds, "Seconds left in the clear at the start")
      ->check(CLI::Range(0.0, 60.0));
  cmd->add_option("--clearkey-license-url", args.signalling.clearkey_license_url, "Clear Key licence server");
  cmd->add_option("--fairplay-key-uri", args.signalling.fairplay_key_uri, "FairPlay key URI ({kid}: the key ID)")
      ->capture_default_str();
  cmd->add_option("--aes128-key-uri", args.signalling.aes128_key_uri, "AES-128 key URI ({kid}: the key ID)");
  cmd->add_option("--packager", args.pipeline.encryptor.packager, "Shaka Packager's binary (for --encrypt)")
      ->capture_default_str();
  return cmd;
}

namespace {

// "LANG[:KIND]=FILE": the language and kind first, so that the file name may hold anything.
Result<SidecarFile> parse_sidecar_argument(std::string_view argument) {
  const auto usage = [&](std::string_view why) {
    return fail(ErrorCode::kUsage, fmt::format("--subtitles {}: {} (expected LANG[:KIND]=FILE)", argument, why));
  };
  const auto equals = argument.find('=');
  if (equals == std::string_view::npos || equals + 1 == argument.size()) return usage("no file");
  auto spec = argument.substr(0, equals);
  SidecarFile file{.path = std::string(argument.substr(equals + 1)), .name = {}, .language = {}, .kind = {}};
  file.name = file.path.filename().string();
  if (const auto colon = spec.find(':'); colon != std::string_view::npos) {
    const auto kind = parse_subtitle_kind(spec.substr(colon + 1));
    if (!kind) return usage("KIND is one of subtitle, caption, forced");
    file.kind = *kind;
    spec = spec.substr(0, colon);
  }
  file.language = language_from_tag(spec).tag;
  if (file.language == "und" && spec != "und") return usage("LANG is not a known ISO 639 language or BCP 47 tag");
  return file;
}

// The protection asked for on the command line, with its keys; none for "none".
Result<std::optional<ProtectionPlan>> protection_plan(const TranscodeArgs& args) {
  ProtectionPlan plan;
  plan.policy.scheme = parse_protection_scheme(args.encrypt).value_or(ProtectionScheme::kNone);
  if (!plan.policy.encrypts()) return std::optional<ProtectionPlan>();
  if (plan.policy.scheme != ProtectionScheme::kAes128) {
    auto systems = parse_drm_systems(args.drm_systems);
    if (!systems) return tl::unexpected(systems.error());
    plan.policy.systems = std::move(*systems);
  }
  plan.policy.video_keys = args.key_per_resolution ? VideoKeys::kPerResolution : VideoKeys::kShared;
  plan.policy.clear_lead_seconds = args.clear_lead_seconds;
  if (auto valid = plan.policy.validate(); !valid) return tl::unexpected(valid.error());
  if (plan.policy.scheme == ProtectionScheme::kAes128 && args.signalling.aes128_key_uri.empty()) {
    return fail(ErrorCode::kUsage, "--encrypt aes-128 needs --aes128-key-uri");
  }
  std::unique_ptr<KeyProvider> provider;
  if (!args.speke_url.empty()) {
    provider = std::make_unique<SpekeKeyProvider>(SpekeOptions{.url = args.speke_url}, nullptr);
  } else {
    Result<StaticKeyProvider> loaded =
        fail(ErrorCode::kUsage, "--encrypt needs --keys FILE, --speke-url URL or $ST_DRM__STATIC_KEYS");
    if (!args.keys_file.empty()) {
      loaded = StaticKeyProvider::load(args.keys_file);
    } else if (const char* document = std::getenv("ST_DRM__STATIC_KEYS"); document != nullptr) {
      loaded = StaticKeyProvider::parse(document);
    }
    if (!loaded) return tl::unexpected(loaded.error());
    provider = std::make_unique<StaticKeyProvider>(std::move(*loaded));
  }
  auto keys = provider->keys_for(plan.policy.key_request(std::filesystem::path(args.input).stem().string()));
  if (!keys) return tl::unexpected(keys.error());
  plan.keys = std::move(*keys);
  plan.signalling = args.signalling;
  return std::optional<ProtectionPlan>(std::move(plan));
}

}  // namespace

int run_transcode(TranscodeArgs args, const SignalWatcher& signals) {
  const auto stop = signals.token();
  auto view = make_progress_view(args.json);
  auto report_failure = [&](const Error& error) {
    view->failed(error);
    fmt::print(stderr, "error: {}\n", error.message);
    if (error.code == ErrorCode::kCancelled)
      return 128 + (signals.received_signal() > 0 ? signals.received_signal() : 2);
    // Only the user's own limit is in force here: reaching it is neither a
    // failure of ours (1) nor bad input (2).
    if (error.code == ErrorCode::kTimeLimit) return kExitTimeLimit;
    return error.is_permanent() ? kExitBadInput : kExitFailure;
  };

  if (!is_known_preset(args.pipeline.encode.preset)) {
    return report_failure({ErrorCode::kUsage, fmt::format("unknown preset '{}': use one of {}",
                                                          args.pipeline.encode.preset, known_presets())});
  }
  std::erase(args.renditions, std::string());  // "720p,,480p" or a trailing comma
  args.pipeline.ladder_mode = ladder_mode_from_string(args.ladder).value_or(LadderMode::kFixed);
  args.pipeline.ladder.renditions = args.renditions;
  if (args.time_limit_seconds > 0) {
    args.pipeline.encode.limits.wall_time =
        std::chrono::milliseconds(static_cast<std::int64_t>(args.time_limit_seconds * 1000));
  }

  std::vector<SidecarFile> sidecars;
  for (const auto& argument : args.subtitles) {
    auto file = parse_sidecar_argument(argument);
    if (!file) return report_failure(file.error());
    sidecars.push_back(std::move(*file));
  }

  auto protection = protection_plan(args);
  if (!protection) return report_failure(protection.error());

  auto staged = StagedDirectory::prepare(args.output, args.force);
  if (!staged) return report_failure(staged.error());

  const PipelineInput input{
      .source = args.input, .sidecars = std::move(sidecars), .protection = std::move(*protection)};
  auto report = Pipeline(args.pipeline).run(input, staged->path(), *view, stop);
  if (!report && report.error().code == ErrorCode::kTimeLimit) {
    return report_failure({ErrorCode::kTimeLimit, fmt::format("stopped by --time-limit {} s: {}",
                                                              args.time_limit_seconds, report.error().message)});
  }
  if (!report) return report_failure(report.error());
  if (stop.stop_requested()) return report_failure({ErrorCode::kCancelled, "stopped on request"});
  if (auto committed = staged->commit(); !committed) return report_failure(committed.error());
  view->finished(*report, staged->destination().string());
  return kExitOk;
}

int report_transcode_usage_error(const CLI::App& app, const CLI::ParseError& error, bool json_requested) {
  const int code = app.exit(error);  // the parser's own message (or --help) on stderr/stdout
  if (code == 0) return kExitOk;
  if (json_requested || ::isatty(::fileno(stdout)) == 0) {
    make_progress_view(true)->failed({ErrorCode::kUsage, error.what()});
  }
  return kExitBadInput;
}

}  // namespace st
