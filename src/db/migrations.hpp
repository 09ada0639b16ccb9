// Versioned SQL migrations, embedded in the binary from src/db/migrations/.
//
// Applied in version order under a PostgreSQL advisory lock, so that ten pods
// starting at once apply each migration exactly once; each is recorded in
// `schema_migrations` with a SHA-256 of its text, and an applied migration whose
// text has changed since is an error (fix forward with a new migration instead).
#pragma once

#include <string>
#include <vector>

#include "util/error.hpp"

namespace st {

struct Migration {
  int version = 0;
  std::string name;  // file name without ".sql", e.g. "0001_jobs"
  std::string sql;
};

// The migrations compiled into this binary, by ascending version.
const std::vector<Migration>& embedded_migrations();

struct MigrationOutcome {
  std::vector<std::string> applied;  // names applied by this call
  int schema_version = 0;            // highest version present afterwards
};

class Migrator {
 public:
  Migrator(std::string conninfo, std::vector<Migration> migrations)
      : conninfo_(std::move(conninfo)), migrations_(std::move(migrations)) {}

  Result<MigrationOutcome> migrate() const;

 private:
  std::string conninfo_;
  std::vector<Migration> migrations_;
};

}  // namespace st
