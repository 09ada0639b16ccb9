// The composition root: builds every component of `serve` from the Config,
// starts them in order and stops them in reverse. No other place constructs
// long-lived components.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "app/config.hpp"
#include "http/jobs_api.hpp"
#include "util/error.hpp"

namespace st {

enum class ServiceRole { kApi, kWorker, kAll };

class Service {
 public:
  Service(Config config, ServiceRole role);
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;
  ~Service();

  // Migrates the database, then starts the HTTP server (api) and the workers (worker).
  Result<void> start();
  // Graceful: workers stop claiming, running jobs get `grace` to finish and are
  // released after it; then the HTTP server closes.
  void stop(std::chrono::milliseconds grace);

  [[nodiscard]] std::uint16_t http_port() const;

 private:
  // The management API: authentication, rate limits, jobs, tenants and docs.
  Result<void> add_api_routes();
  // /health/ready: every dependency this role uses, each bounded in time.
  [[nodiscard]] std::vector<DependencyCheck> check_dependencies() const;

  struct Components;
  Config config_;
  ServiceRole role_;
  std::unique_ptr<Components> parts_;
};

}  // namespace st
