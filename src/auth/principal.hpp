// Who is calling: what a verified token says, or the development principal.
#pragma once

#include <string>
#include <vector>

namespace st {

// viewer: read its tenant's jobs. operator: also create, cancel and retry.
// admin: every tenant, and tenant policies.
enum class Role { kViewer, kOperator, kAdmin };

struct Principal {
  std::string subject;  // the token's sub
  std::string tenant;
  std::vector<Role> roles;

  // True when the principal holds `role` or one above it.
  [[nodiscard]] bool has(Role role) const;
};

}  // namespace st
