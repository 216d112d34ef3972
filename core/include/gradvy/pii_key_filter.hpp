// Which property keys are dropped before an event is stored.
//
// Keys are compared after normalization: ASCII lower-case with '_', '-', '.'
// and ' ' removed, so "E-Mail", "e_mail", "eMail" and "email" are one key, as
// are "phoneNumber" and "phone_number". A dropped member is removed with its
// whole subtree and counted once.
//
// Default list (kDefaultDropKeys): contact details, credentials, government
// and payment numbers, real names, birth dates, postal/IP addresses.
// Deliberately NOT dropped: "name" (course, button and lesson names are the
// common use; a person's name is covered by first_name/last_name/full_name)
// and "id"/"user" (pseudonymous ids are the point of the product).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gradvy {

extern const std::vector<std::string_view> kDefaultDropKeys;

// Lower-case, separator-free form used for matching; "" if the key is longer
// than 64 bytes after normalization (such keys are never on a list).
std::string normalize_drop_key(std::string_view key);

class PiiKeyFilter {
 public:
  PiiKeyFilter();  // the default list
  explicit PiiKeyFilter(const std::vector<std::string>& keys);

  bool should_drop(std::string_view key) const;
  const std::vector<std::string>& normalized_keys() const { return keys_; }

 private:
  std::vector<std::string> keys_;  // normalized, unique
  std::size_t max_length_ = 0;
};

}  // namespace gradvy
