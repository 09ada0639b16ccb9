#include "db/migrations.hpp"

#include <map>

#include <fmt/format.h>

#include <pqxx/pqxx>

namespace st {
namespace {

// Any fixed number shared by every instance of the service.
constexpr std::int64_t kMigrationLockKey = 0x5354'4d49'4752;  // "STMIGR"

}  // namespace

Result<MigrationOutcome> Migrator::migrate() const {
  try {
    pqxx::connection connection(conninfo_);
    pqxx::nontransaction session(connection);
    // Session-level lock, held across the per-migration transactions below; it
    // is released on unlock or when the connection closes, even after a crash.
    session.exec_params("SELECT pg_advisory_lock($1)", kMigrationLockKey);
    session.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");

    std::map<int, std::pair<std::string, std::string>> applied;
    for (const auto& row : session.exec("SELECT version, name, checksum FROM schema_migrations")) {
      applied[row[0].as<int>()] = {row[1].as<std::string>(), row[2].as<std::string>()};
    }

    MigrationOutcome outcome;
    for (const auto& migration : migrations_) {
      const auto checksum =
          session.exec_params1("SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')", migration.sql)[0]
              .as<std::string>();
      if (const auto it = applied.find(migration.version); it != applied.end()) {
        if (it->second.second != checksum) {
          session.exec_params("SELECT pg_advisory_unlock($1)", kMigrationLockKey);
          return fail(ErrorCode::kInternal,
                      fmt::format("migration {} was changed after it was applied (checksum {} in the database, {} "
                                  "in this build); add a new migration instead of editing an applied one",
                                  migration.name, it->second.second, checksum));
        }
        continue;
      }
      session.exec("BEGIN");
      try {
        session.exec(migration.sql);
        session.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                            migration.version, migration.name, checksum);
        session.exec("COMMIT");
      } catch (...) {
        session.exec("ROLLBACK");
        throw;
      }
      outcome.applied.push_back(migration.name);
    }
    outcome.schema_version = session.exec1("SELECT coalesce(max(version), 0) FROM schema_migrations")[0].as<int>();
    session.exec_params("SELECT pg_advisory_unlock($1)", kMigrationLockKey);
    return outcome;
  } catch (const pqxx::broken_connection& e) {
    return fail(ErrorCode::kUnavailable, fmt::format("cannot reach the database to migrate: {}", e.what()));
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInternal, fmt::format("migration failed: {}", e.what()));
  }
}

}  // namespace st
