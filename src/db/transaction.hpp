// One way to run database work: on a pooled connection, with every failure
// libpqxx can raise mapped once to an Error a caller can act on.
//
//   kUnavailable   the connection broke, or the statement ran past
//                  database.statement_timeout_ms (SQLSTATE 57014): try again
//   kUsage         a CHECK constraint refused a value the caller gave
//   kInvalidInput  SQLSTATE class 22 (a NUL in text, a number out of range),
//                  or a value that cannot be written as JSON: sending it
//                  again cannot help
//   kInternal      anything else; the connection is not reused
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "db/pool.hpp"
#include "util/error.hpp"

namespace st {

// A column that may be NULL, as an optional.
template <typename T>
std::optional<T> optional_field(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<T>();
}

namespace detail {
Error database_error(const std::exception& error, bool* discard_connection);
}  // namespace detail

// Runs `work(connection)` on a pooled connection; `work` opens its own
// transaction (pqxx::work, pqxx::read_transaction) and returns a Result.
template <typename Work>
auto with_connection(ConnectionPool& pool, Work&& work) -> decltype(work(std::declval<pqxx::connection&>())) {
  auto lease = pool.acquire();
  if (!lease) return tl::unexpected(lease.error());
  try {
    return work(**lease);
  } catch (const std::exception& e) {
    bool discard = false;
    auto error = detail::database_error(e, &discard);
    if (discard) lease->discard();
    return tl::unexpected(std::move(error));
  }
}

}  // namespace st
