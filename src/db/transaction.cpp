#include "db/transaction.hpp"

#include <fmt/format.h>

namespace st::detail {
namespace {

std::string first_line(const char* what) {
  std::string text = what;
  if (const auto nl = text.find('\n'); nl != std::string::npos) text.erase(nl);
  return text;
}

}  // namespace

Error database_error(const std::exception& error, bool* discard_connection) {
  *discard_connection = true;
  const auto what = first_line(error.what());
  if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr) {
    return {ErrorCode::kUnavailable, fmt::format("lost the database connection: {}", what)};
  }
  if (dynamic_cast<const pqxx::check_violation*>(&error) != nullptr) {
    *discard_connection = false;
    return {ErrorCode::kUsage, fmt::format("rejected by the database: {}", what)};
  }
  if (dynamic_cast<const pqxx::data_exception*>(&error) != nullptr) {
    return {ErrorCode::kInvalidInput, fmt::format("rejected by the database: {}", what)};
  }
  if (dynamic_cast<const nlohmann::json::exception*>(&error) != nullptr) {
    *discard_connection = false;
    return {ErrorCode::kInvalidInput, fmt::format("cannot encode the value: {}", what)};
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error); sql != nullptr && sql->sqlstate() == "57014") {
    // query_canceled: a locked row, an overloaded server. Worth another try later.
    *discard_connection = false;
    return {ErrorCode::kUnavailable, fmt::format("the database did not answer in time: {}", what)};
  }
  return {ErrorCode::kInternal, fmt::format("database error: {}", what)};
}

}  // namespace st::detail
