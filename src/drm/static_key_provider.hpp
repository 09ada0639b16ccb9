// Content keys from configuration, for development, tests and small
// deployments: a JSON document from a secret file or an environment variable,
//
//   {"keys": [{"trackType": "HD", "kid": "<32 hex or UUID>", "key": "<32 hex>"},
//             {"trackType": "ALL", ...}]}
//
// "ALL" serves every track type without an entry of its own. The document is
// bounded and checked when the service starts; its messages name entries and
// key IDs, never a key.
#pragma once

#include <string>
#include <vector>

#include "drm/content_keys.hpp"

namespace st {

class StaticKeyProvider final : public KeyProvider {
 public:
  // kUsage naming every problem of the document.
  static Result<StaticKeyProvider> parse(const std::string& document);
  // The document in `file` (at most 64 KiB).
  static Result<StaticKeyProvider> load(const std::string& file);

  // The key of each requested type (its own, else the "ALL" one); a type
  // with neither is left out. kUsage when no requested type has a key.
  Result<ContentKeys> keys_for(const KeyRequest& request) override;

 private:
  struct Entry {
    std::optional<TrackType> type;  // none: "ALL"
    KeyId kid;
    ContentKey key;
  };
  std::vector<Entry> entries_;
};

}  // namespace st
