// Bearer tokens for the sync API: who the caller is, until when.
//
// Exact format (what an app's backend must produce):
//
//   token   = payload_part "." signature_part
//   payload_part   = base64url_nopad( UTF-8 JSON object {"sub": <string>, "exp": <integer>} )
//   signature_part = base64url_nopad( HMAC-SHA256(secret, ASCII bytes of payload_part) )
//
// `sub` is the learner's pseudonymous id (1..128 bytes, printable ASCII, no
// spaces); `exp` is the expiry in Unix seconds (the token is refused once
// now >= exp). Other payload fields are ignored. base64url is RFC 4648 §5
// without '=' padding. The secret is the content of the --secret-file with
// trailing whitespace removed (at least 16 bytes).
//
// Verification checks the signature first (constant-time compare), then parses
// the payload, then checks expiry; each failure has its own code so a client can
// tell "get a new token" (expired) from "this token is wrong".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gradvy_sync {

struct TokenClaims {
  std::string sub;
  std::int64_t exp = 0;  // Unix seconds
};

enum class TokenError {
  none,
  missing,            // no Authorization header, or not "Bearer <token>"
  malformed,          // not two base64url parts, or payload is not the JSON above
  invalid_signature,  // signed with another secret, or tampered with
  expired,            // now >= exp
};

struct TokenCheck {
  TokenError error = TokenError::none;
  std::string message;  // why, for the 401 body; never echoes the token
  TokenClaims claims;   // valid only when error == none
  bool ok() const { return error == TokenError::none; }
};

// Stable code for the JSON error body: token_missing, token_malformed, ...
std::string_view token_error_code(TokenError error);

std::string base64url_encode(std::string_view bytes);
// false on any character outside the base64url alphabet or an impossible length.
bool base64url_decode(std::string_view text, std::string& out);

std::string hmac_sha256(std::string_view key, std::string_view message);  // 32 raw bytes

std::string make_token(std::string_view secret, std::string_view sub, std::int64_t exp_unix_s);

TokenCheck verify_token(std::string_view token, std::string_view secret, std::int64_t now_unix_s);

// Takes the value of the Authorization header ("" if absent).
TokenCheck verify_bearer(std::string_view authorization_header, std::string_view secret,
                         std::int64_t now_unix_s);

// Rule for `sub`: 1..128 printable ASCII bytes without spaces.
bool is_valid_subject(std::string_view sub);

// Reads a secret file: contents minus trailing whitespace. Empty string and a
// message in `error` when unreadable or shorter than 16 bytes.
std::string read_secret_file(const std::string& path, std::string& error);

// "90", "90s", "15m", "1h", "7d" -> seconds; -1 when unparsable or not positive.
std::int64_t parse_duration_seconds(std::string_view text);

}  // namespace gradvy_sync
