// Decoder for IAB TCF v2.x TC strings (core segment + optional Publisher TC
// segment). Pure and total: any input yields either a fully decoded value or
// invalid_tc_string with the field and rule that failed; never a partial value.
// Field layout: "Consent string and vendor list formats v2" (IAB Tech Lab).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gradvy/status.hpp"

namespace gradvy {

// Longest TC string accepted. Two full 65535-vendor bit fields are ~22k
// characters; real strings are a few hundred to a few thousand.
inline constexpr std::size_t kMaxTcStringLength = 65536;

// Inclusive vendor id range, as written in range sections.
struct TcVendorRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  bool operator==(const TcVendorRange& o) const { return first == o.first && last == o.last; }
};

// Vendor consent or vendor legitimate-interest section.
struct TcVendorSection {
  std::uint16_t max_vendor_id = 0;
  bool range_encoded = false;
  std::vector<std::uint16_t> vendor_ids;  // ascending, unique, each in 1..max_vendor_id

  bool contains(std::uint16_t vendor_id) const;
};

struct TcPublisherRestriction {
  int purpose_id = 0;        // 1..24
  int restriction_type = 0;  // 0 not allowed, 1 require consent, 2 require legitimate interest
  std::vector<TcVendorRange> vendors;
};

// Optional segment type 3: the publisher's own purposes (TCF "Publisher TC").
struct TcPublisherPurposes {
  std::uint32_t purposes_consent = 0;          // bit (n-1) = purpose n
  std::uint32_t purposes_li_transparency = 0;  // bit (n-1) = purpose n
  int num_custom_purposes = 0;                 // 0..63
  std::uint64_t custom_purposes_consent = 0;   // bit (n-1) = custom purpose n
  std::uint64_t custom_purposes_li_transparency = 0;

  bool purpose_consent(int purpose) const;  // purpose 1..24
};

struct DecodedTcString {
  int version = 0;              // always 2
  std::int64_t created_ds = 0;  // deciseconds since the Unix epoch
  std::int64_t last_updated_ds = 0;
  int cmp_id = 0;
  int cmp_version = 0;
  int consent_screen = 0;
  std::string consent_language;  // two upper-case letters, e.g. "EN"
  int vendor_list_version = 0;
  int tcf_policy_version = 0;
  bool is_service_specific = false;
  bool use_non_standard_texts = false;
  std::uint16_t special_feature_opt_ins = 0;   // bit (n-1) = special feature n (1..12)
  std::uint32_t purposes_consent = 0;          // bit (n-1) = purpose n (1..24)
  std::uint32_t purposes_li_transparency = 0;  // bit (n-1) = purpose n
  bool purpose_one_treatment = false;
  std::string publisher_cc;  // two upper-case letters, e.g. "DE"
  TcVendorSection vendor_consents;
  TcVendorSection vendor_legitimate_interests;
  std::vector<TcPublisherRestriction> publisher_restrictions;
  std::optional<TcPublisherPurposes> publisher_purposes;  // present iff a segment of type 3 was
  int other_segments = 0;  // segments of type 1/2 (vendor disclosure), checked and skipped

  std::int64_t created_ms() const { return created_ds * 100; }
  std::int64_t last_updated_ms() const { return last_updated_ds * 100; }
  bool purpose_consent(int purpose) const;          // purpose 1..24
  bool purpose_li_transparency(int purpose) const;  // purpose 1..24
  bool special_feature_opt_in(int feature) const;   // feature 1..12
};

// Decodes and validates. Rules beyond field layout: Version == 2; Created and
// LastUpdated non-zero and LastUpdated >= Created; ConsentLanguage/PublisherCC
// letters A..Z; vendor sections and NumPubRestrictions present; ranges with
// 1 <= first <= last (<= MaxVendorId in vendor sections); restriction type != 3
// and purpose id 1..24; PurposeOneTreatment only on service-specific strings;
// segments after '.' base64url, non-empty, type 1..7 (3 decoded, others skipped),
// at most one Publisher TC segment.
Result<DecodedTcString> decode_tc_string(std::string_view tc_string);

// For UIs and debugging: every decoded field under its TCF name in snake_case.
nlohmann::json to_json(const DecodedTcString& decoded);

}  // namespace gradvy
