// Google Consent Mode v2 states -> our purposes. The mapping and its reasons
// are in docs/CONSENT.md ("Google Consent Mode v2"); change both together.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "gradvy/consent_decisions.hpp"
#include "gradvy/status.hpp"

namespace gradvy {

// One Consent Mode command's states; a missing key is std::nullopt (Consent
// Mode "update" commands carry only the keys that change).
struct ConsentModeState {
  std::optional<bool> ad_storage;
  std::optional<bool> ad_user_data;
  std::optional<bool> ad_personalization;
  std::optional<bool> analytics_storage;
  std::optional<bool> personalization_storage;
  std::optional<bool> functionality_storage;
  std::optional<bool> security_storage;
};

// {"analytics_storage":"granted","ad_storage":"denied",...}. Only the seven
// keys above, values exactly "granted" or "denied"; anything else is
// invalid_consent naming the key.
Result<ConsentModeState> parse_consent_mode(const nlohmann::json& states);

// analytics <- analytics_storage; personalization <- personalization_storage;
// marketing <- ad_storage AND ad_user_data AND ad_personalization (granted only
// when all three are present and granted, withdrawn as soon as one present key
// is denied, undecided otherwise). functionality_storage and security_storage
// are strictly necessary storage (our essential) and decide nothing.
ConsentDecisions consent_mode_decisions(const ConsentModeState& state);

}  // namespace gradvy
