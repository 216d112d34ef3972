// Remembers bearer tokens whose signature already verified, so a learner's
// device that sends the same token on every request pays for HMAC-SHA256
// (OpenSSL's one-shot HMAC costs tens of µs) and the payload parse once, not
// per request.
//
// Correctness: a token is the same bytes signed with the same secret, so the
// signature and claims cannot change; only expiry depends on the time, and it
// is checked on every hit. Only successful verifications are kept; anything
// else (and an expired hit) goes through verify_bearer for its exact error.
// Bounded: the map is emptied when it reaches `capacity` entries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "gradvy_sync/auth_token.hpp"

namespace gradvy_sync {

class VerifiedTokenCache {
 public:
  explicit VerifiedTokenCache(std::string secret, std::size_t capacity = 8192)
      : secret_(std::move(secret)), capacity_(capacity) {}

  // Same result as verify_bearer(authorization_header, secret, now_unix_s).
  TokenCheck verify(std::string_view authorization_header, std::int64_t now_unix_s);

  std::size_t size() const;

 private:
  const std::string secret_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, TokenClaims> verified_;  // by the whole header value
};

}  // namespace gradvy_sync
