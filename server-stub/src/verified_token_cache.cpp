#include "gradvy_sync/verified_token_cache.hpp"

namespace gradvy_sync {

TokenCheck VerifiedTokenCache::verify(std::string_view header, std::int64_t now_unix_s) {
  const std::string key(header);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto hit = verified_.find(key);
    if (hit != verified_.end()) {
      if (now_unix_s < hit->second.exp) {
        TokenCheck check;
        check.claims = hit->second;
        return check;
      }
      verified_.erase(hit);  // expired: verify_bearer below words the refusal
    }
  }
  TokenCheck check = verify_bearer(header, secret_, now_unix_s);
  if (check.ok()) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (verified_.size() >= capacity_) verified_.clear();
    verified_.emplace(key, check.claims);
  }
  return check;
}

std::size_t VerifiedTokenCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return verified_.size();
}

}  // namespace gradvy_sync
