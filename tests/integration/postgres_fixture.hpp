// A fresh, migrated PostgreSQL database for each test, on the server that
// scripts/dev-stack.sh starts (ST_TEST_POSTGRES_ADMIN_URL); dropped afterwards.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "db/pool.hpp"

namespace st::testing {

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A pool on this test's database, with the job store's statements prepared.
  std::unique_ptr<ConnectionPool> make_pool(std::size_t max_size = 30);
  // Runs one SQL statement and returns the first column of the first row.
  std::string scalar(const std::string& sql);

  std::string database_;
  std::string conninfo_;
};

}  // namespace st::testing
