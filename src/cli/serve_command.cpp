#include "cli/serve_command.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/service.hpp"
#include "db/migrations.hpp"
#include "util/log.hpp"

namespace st {
namespace {

Result<Config> load_config(const ServeArgs& args) {
  std::optional<std::filesystem::path> file;
  if (!args.config_file.empty()) file = args.config_file;
  return Config::load(file, process_environment());
}

}  // namespace

CLI::App* add_serve_command(CLI::App& app, ServeArgs& args) {
  auto* cmd = app.add_subcommand("serve", "Run the service: the management API, the workers, or both");
  cmd->add_option("--role", args.role, "api, worker or all")
      ->check(CLI::IsMember({"api", "worker", "all"}))
      ->capture_default_str();
  cmd->add_option("--config", args.config_file, "Configuration file (JSON); ST_SECTION__KEY variables override it");
  return cmd;
}

CLI::App* add_migrate_command(CLI::App& app, ServeArgs& args) {
  auto* cmd = app.add_subcommand("migrate", "Apply the database migrations and exit");
  cmd->add_option("--config", args.config_file, "Configuration file (JSON); ST_SECTION__KEY variables override it");
  return cmd;
}

int run_serve(const ServeArgs& args, const SignalWatcher& signals) {
  auto config = load_config(args);
  if (!config) {
    fmt::print(stderr, "error: {}\n", config.error().message);
    return 2;
  }
  configure_logging(config->log.level, config->log.format);
  for (const auto& warning : config->warnings) spdlog::warn("configuration: {}", warning);
  const ServiceRole role = args.role == "api"      ? ServiceRole::kApi
                           : args.role == "worker" ? ServiceRole::kWorker
                                                   : ServiceRole::kAll;
  const auto grace = std::chrono::seconds(config->worker.shutdown_grace_seconds);

  Service service(*config, role);
  if (auto started = service.start(); !started) {
    spdlog::error("cannot start: {}", started.error().message);
    return started.error().is_permanent() ? 2 : 1;
  }
  // Sleep until SIGINT or SIGTERM.
  std::mutex mutex;
  std::condition_variable_any stopped;
  std::unique_lock lock(mutex);
  stopped.wait(lock, signals.token(), [] { return false; });
  spdlog::info("signal {} received: shutting down", signals.received_signal());
  // Every step of stopping is bounded; this bounds their sum and whatever a
  // library does at exit, so an orchestrator never has to kill us.
  const auto bound = grace + 2 * std::chrono::milliseconds(config->kafka.close_timeout_ms) + std::chrono::seconds(15);
  std::thread([bound] {
    std::this_thread::sleep_for(bound);
    try {
      spdlog::error("stopping took longer than {} s: exiting now",
                    std::chrono::ceil<std::chrono::seconds>(bound).count());
      spdlog::default_logger()->flush();
    } catch (...) {  // NOLINT(bugprone-empty-catch): exiting regardless
    }
    std::_Exit(1);
  }).detach();
  service.stop(std::chrono::duration_cast<std::chrono::milliseconds>(grace));
  spdlog::info("stopped");
  return 0;
}

int run_migrate(const ServeArgs& args) {
  auto config = load_config(args);
  if (!config) {
    fmt::print(stderr, "error: {}\n", config.error().message);
    return 2;
  }
  configure_logging(config->log.level, config->log.format);
  auto outcome = Migrator(config->database_conninfo(), embedded_migrations()).migrate();
  if (!outcome) {
    spdlog::error("{}", outcome.error().message);
    return 1;
  }
  for (const auto& name : outcome->applied) spdlog::info("applied migration {}", name);
  spdlog::info("database schema at version {}", outcome->schema_version);
  return 0;
}

}  // namespace st
