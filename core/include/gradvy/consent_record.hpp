// One consent change as it is kept in the history, stored by the sync server
// (PUT /v1/consent) and exported to the learner. One definition for device and
// server, so a record the device writes is a record the server accepts.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "gradvy/purpose.hpp"
#include "gradvy/status.hpp"

namespace gradvy {

// Which input produced a record. Each input path stamps its own source, so the
// source says truthfully how the choice reached us (see docs/CONSENT.md).
namespace consent_source {
inline constexpr std::string_view app = "app";                    // the app's own toggles
inline constexpr std::string_view tcf = "tcf";                    // an IAB TCF v2.2 TC string
inline constexpr std::string_view consent_mode = "consent_mode";  // Google Consent Mode v2 states
inline constexpr std::string_view gpc = "gpc";                    // the Global Privacy Control signal
}  // namespace consent_source

bool is_consent_source(std::string_view source);

// Longest accepted policy_version; it is an identifier, not a document.
inline constexpr std::size_t kMaxPolicyVersionLength = 128;

struct ConsentRecord {
  Purpose purpose = Purpose::essential;
  bool granted = false;
  std::int64_t at = 0;         // ms since the Unix epoch, from the caller's clock
  std::string source;          // one of consent_source::*
  std::string policy_version;  // the privacy-policy version the choice was made under

  bool operator==(const ConsentRecord& o) const {
    return purpose == o.purpose && granted == o.granted && at == o.at && source == o.source &&
           policy_version == o.policy_version;
  }
  bool operator!=(const ConsentRecord& o) const { return !(*this == o); }
};

// policy_version: 1..128 printable ASCII characters (0x20..0x7E).
Status validate_policy_version(std::string_view policy_version);

// {"purpose":"analytics","granted":true,"at":1714000000000,"source":"app","policy_version":"2024-05"}
nlohmann::json to_json(const ConsentRecord& record);

// Strict: every field required with the right type, no unknown fields, known
// purpose and source, at >= 0, and essential can never be recorded as withdrawn.
// Error code invalid_consent; the message starts with the field name.
Result<ConsentRecord> consent_record_from_json(const nlohmann::json& value);

// A JSON array of records (a history, or a PUT /v1/consent body's list).
// Messages are prefixed with the index: "[3].purpose: ...".
nlohmann::json consent_records_to_json(const std::vector<ConsentRecord>& records);
Result<std::vector<ConsentRecord>> consent_records_from_json(const nlohmann::json& value);

// Purpose sets travel as arrays of purpose names in enum order: ["essential","analytics"].
nlohmann::json purpose_set_to_json(PurposeSet set);
// Refuses non-arrays, non-strings, unknown names and duplicates; `field` names
// the value in the message. Error code invalid_consent.
Result<PurposeSet> purpose_set_from_json(const nlohmann::json& value, std::string_view field);

// Caller-supplied text (a key, a purpose name) made safe to quote in an error
// message: printable ASCII kept, anything else '?', cut to 40 characters, so a
// message is always valid UTF-8 (JSON-serialisable) and short.
std::string consent_text_for_message(std::string_view text);

}  // namespace gradvy
