#include "auth/principal.hpp"

#include <algorithm>

namespace st {

bool Principal::has(Role role) const {
  // The roles are ordered: each includes what the ones below it may do.
  return std::any_of(roles.begin(), roles.end(), [role](Role held) { return held >= role; });
}

}  // namespace st
