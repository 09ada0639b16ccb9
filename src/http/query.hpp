// A request's query string, bounded and decoded: name=value pairs in order
// (a name may repeat: ?status=queued&status=failed).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.hpp"

namespace st {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// kUsage for more than `max_params` pairs, a value longer than `max_length`,
// a bad percent escape or ill-formed UTF-8.
Result<QueryParams> parse_query(std::string_view query, std::size_t max_params = 32, std::size_t max_length = 1024);

}  // namespace st
