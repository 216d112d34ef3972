#include "gradvy/pii_key_filter.hpp"

#include <algorithm>
#include <cstring>

namespace gradvy {

const std::vector<std::string_view> kDefaultDropKeys = {
    "email", "email_address", "e_mail", "mail", "phone", "phone_number", "mobile", "mobile_number",
    "tel", "telephone", "fax", "password", "passwd", "pwd", "pin", "secret", "token", "access_token",
    "refresh_token", "id_token", "api_key", "authorization", "auth", "cookie", "session_token", "ssn",
    "social_security_number", "national_id", "passport", "passport_number", "tax_id",
    "credit_card", "card_number", "cc_number", "cvv", "cvc", "iban", "bank_account",
    "first_name", "last_name", "full_name", "given_name", "family_name", "surname", "maiden_name",
    "birthdate", "birth_date", "date_of_birth", "dob", "birthday", "address", "street_address",
    "street", "postal_address", "home_address", "ip", "ip_address"};

namespace {
constexpr std::size_t kMaxNormalized = 64;

// Normalizes into a stack buffer; returns the length, or SIZE_MAX if too long.
std::size_t normalize_into(std::string_view key, char* buffer) {
  std::size_t length = 0;
  for (char c : key) {
    if (c == '_' || c == '-' || c == '.' || c == ' ') continue;
    if (length == kMaxNormalized) return static_cast<std::size_t>(-1);
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    buffer[length++] = c;
  }
  return length;
}
}  // namespace

std::string normalize_drop_key(std::string_view key) {
  char buffer[kMaxNormalized];
  const std::size_t length = normalize_into(key, buffer);
  if (length == static_cast<std::size_t>(-1)) return std::string();
  return std::string(buffer, length);
}

PiiKeyFilter::PiiKeyFilter() {
  std::vector<std::string> keys(kDefaultDropKeys.begin(), kDefaultDropKeys.end());
  *this = PiiKeyFilter(keys);
}

PiiKeyFilter::PiiKeyFilter(const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    std::string normalized = normalize_drop_key(key);
    if (normalized.empty()) continue;
    if (std::find(keys_.begin(), keys_.end(), normalized) != keys_.end()) continue;
    max_length_ = std::max(max_length_, normalized.size());
    keys_.push_back(std::move(normalized));
  }
}

bool PiiKeyFilter::should_drop(std::string_view key) const {
  if (keys_.empty()) return false;
  char buffer[kMaxNormalized];
  const std::size_t length = normalize_into(key, buffer);
  if (length == 0 || length > max_length_) return false;
  for (const auto& candidate : keys_) {
    if (candidate.size() == length && std::memcmp(candidate.data(), buffer, length) == 0) return true;
  }
  return false;
}

}  // namespace gradvy
