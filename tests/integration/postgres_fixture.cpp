#include "postgres_fixture.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include <fmt/format.h>

#include <pqxx/pqxx>

#include "db/migrations.hpp"
#include "jobs/pg_job_catalog.hpp"
#include "jobs/pg_job_queue.hpp"
#include "jobs/pg_tenant_policies.hpp"

namespace st::testing {
namespace {

std::string admin_url() {
  const char* url = std::getenv("ST_TEST_POSTGRES_ADMIN_URL");
  return url != nullptr ? url : "";
}

// The admin URL with its database replaced.
std::string url_for(const std::string& database) {
  auto url = admin_url();
  return url.substr(0, url.rfind('/') + 1) + database;
}

}  // namespace

void PostgresTest::SetUp() {
  if (admin_url().empty()) {
    GTEST_FAIL() << "ST_TEST_POSTGRES_ADMIN_URL is not set: run `eval \"$(scripts/dev-stack.sh up)\"` first "
                    "(scripts/test.sh does)";
  }
  static std::atomic<int> counter{0};
  database_ = fmt::format("st_test_{}_{}", ::getpid(), counter++);
  pqxx::connection admin(admin_url());
  pqxx::nontransaction(admin).exec("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
  pqxx::nontransaction(admin).exec("CREATE DATABASE " + database_);
  conninfo_ = url_for(database_);
  auto migrated = Migrator(conninfo_, embedded_migrations()).migrate();
  ASSERT_TRUE(migrated.has_value()) << migrated.error().message;
}

void PostgresTest::TearDown() {
  if (database_.empty() || admin_url().empty()) return;
  try {
    pqxx::connection admin(admin_url());
    pqxx::nontransaction(admin).exec("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cannot drop " << database_ << ": " << e.what();
  }
}

std::unique_ptr<ConnectionPool> PostgresTest::make_pool(std::size_t max_size) {
  return std::make_unique<ConnectionPool>(ConnectionPool::Options{.conninfo = conninfo_,
                                                                  .max_size = max_size,
                                                                  .acquire_timeout = std::chrono::seconds(30),
                                                                  .on_connect = [](pqxx::connection& c) {
                                                                    PgJobQueue::prepare_statements(c);
                                                                    PgJobCatalog::prepare_statements(c);
                                                                    PgTenantPolicies::prepare_statements(c);
                                                                  }});
}

std::string PostgresTest::scalar(const std::string& sql) {
  pqxx::connection connection(conninfo_);
  pqxx::nontransaction tx(connection);
  const auto rows = tx.exec(sql);
  return rows.empty() || rows[0][0].is_null() ? std::string() : rows[0][0].as<std::string>();
}

}  // namespace st::testing
