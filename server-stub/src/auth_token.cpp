// HMAC-SHA256 bearer tokens; format documented in auth_token.hpp.
#include "gradvy_sync/auth_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

namespace gradvy_sync {

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t kMaxTokenBytes = 4096;  // far above any real token; caps work on junk

int decode_char(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

TokenCheck fail(TokenError error, std::string message) {
  TokenCheck check;
  check.error = error;
  check.message = std::move(message);
  return check;
}
}  // namespace

std::string_view token_error_code(TokenError error) {
  switch (error) {
    case TokenError::none: return "ok";
    case TokenError::missing: return "token_missing";
    case TokenError::malformed: return "token_malformed";
    case TokenError::invalid_signature: return "token_invalid_signature";
    case TokenError::expired: return "token_expired";
  }
  return "token_malformed";
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

bool base64url_decode(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 == 1) return false;
  out.reserve(text.size() * 3 / 4);
  unsigned acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = decode_char(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // Leftover bits must be zero, so every token has exactly one spelling.
  return (acc & ((1u << bits) - 1)) == 0;
}

std::string hmac_sha256(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

bool is_valid_subject(std::string_view sub) {
  if (sub.empty() || sub.size() > 128) return false;
  for (char c : sub) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

std::string make_token(std::string_view secret, std::string_view sub, std::int64_t exp_unix_s) {
  const nlohmann::json payload = {{"sub", std::string(sub)}, {"exp", exp_unix_s}};
  const std::string payload_part = base64url_encode(payload.dump());
  return payload_part + "." + base64url_encode(hmac_sha256(secret, payload_part));
}

TokenCheck verify_token(std::string_view token, std::string_view secret, std::int64_t now_unix_s) {
  if (token.empty()) return fail(TokenError::missing, "no bearer token");
  if (token.size() > kMaxTokenBytes) return fail(TokenError::malformed, "token is longer than 4096 bytes");
  const std::size_t dot = token.find('.');
  if (dot == std::string_view::npos || token.find('.', dot + 1) != std::string_view::npos || dot == 0 ||
      dot + 1 == token.size()) {
    return fail(TokenError::malformed, "token must be <payload>.<signature>");
  }
  const std::string_view payload_part = token.substr(0, dot);
  std::string signature;
  if (!base64url_decode(token.substr(dot + 1), signature) || signature.size() != 32) {
    return fail(TokenError::malformed, "token signature is not 32 bytes of base64url");
  }
  const std::string expected = hmac_sha256(secret, payload_part);
  if (CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) != 0) {
    return fail(TokenError::invalid_signature, "token signature does not match");
  }
  std::string payload_text;
  if (!base64url_decode(payload_part, payload_text)) {
    return fail(TokenError::malformed, "token payload is not base64url");
  }
  const auto payload = nlohmann::json::parse(payload_text, nullptr, false);
  if (payload.is_discarded() || !payload.is_object()) {
    return fail(TokenError::malformed, "token payload is not a JSON object");
  }
  const auto sub = payload.find("sub");
  if (sub == payload.end() || !sub->is_string() || !is_valid_subject(sub->get_ref<const std::string&>())) {
    return fail(TokenError::malformed, "token sub: must be 1..128 printable ASCII characters");
  }
  const auto exp = payload.find("exp");
  if (exp == payload.end() || !exp->is_number_integer()) {
    return fail(TokenError::malformed, "token exp: must be an integer (Unix seconds)");
  }
  TokenCheck check;
  check.claims.sub = sub->get<std::string>();
  check.claims.exp = exp->get<std::int64_t>();
  if (now_unix_s >= check.claims.exp) return fail(TokenError::expired, "token expired");
  return check;
}

TokenCheck verify_bearer(std::string_view header, std::string_view secret, std::int64_t now_unix_s) {
  if (header.empty()) return fail(TokenError::missing, "Authorization: Bearer <token> header is required");
  constexpr std::string_view kScheme = "Bearer ";
  if (header.size() < kScheme.size()) return fail(TokenError::missing, "Authorization header must use the Bearer scheme");
  for (std::size_t i = 0; i < kScheme.size(); ++i) {  // scheme is case-insensitive (RFC 7235)
    if (std::tolower(static_cast<unsigned char>(header[i])) != std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return fail(TokenError::missing, "Authorization header must use the Bearer scheme");
    }
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return verify_token(token, secret, now_unix_s);
}

std::string read_secret_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read secret file '" + path + "'";
    return {};
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string secret = buffer.str();
  while (!secret.empty() && std::isspace(static_cast<unsigned char>(secret.back()))) secret.pop_back();
  if (secret.size() < 16) {
    error = "secret file '" + path + "' must hold at least 16 bytes";
    return {};
  }
  return secret;
}

std::int64_t parse_duration_seconds(std::string_view text) {
  if (text.empty()) return -1;
  std::int64_t unit = 1;
  switch (text.back()) {
    case 's': unit = 1; text.remove_suffix(1); break;
    case 'm': unit = 60; text.remove_suffix(1); break;
    case 'h': unit = 3600; text.remove_suffix(1); break;
    case 'd': unit = 86400; text.remove_suffix(1); break;
    default: break;
  }
  if (text.empty() || text.size() > 12) return -1;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value > 0 ? value * unit : -1;
}

}  // namespace gradvy_sync
