#include "gradvy/consent_mode.hpp"

#include <string>

#include "gradvy/consent_record.hpp"

namespace gradvy {

Result<ConsentModeState> parse_consent_mode(const nlohmann::json& states) {
  if (!states.is_object()) {
    return Result<ConsentModeState>(ErrorCode::invalid_consent,
                                    "consent_mode: must be an object of state name -> \"granted\"|\"denied\"");
  }
  ConsentModeState parsed;
  const struct {
    const char* key;
    std::optional<bool> ConsentModeState::*field;
  } keys[] = {
      {"ad_storage", &ConsentModeState::ad_storage},
      {"ad_user_data", &ConsentModeState::ad_user_data},
      {"ad_personalization", &ConsentModeState::ad_personalization},
      {"analytics_storage", &ConsentModeState::analytics_storage},
      {"personalization_storage", &ConsentModeState::personalization_storage},
      {"functionality_storage", &ConsentModeState::functionality_storage},
      {"security_storage", &ConsentModeState::security_storage},
  };
  for (auto it = states.begin(); it != states.end(); ++it) {
    std::optional<bool> ConsentModeState::*field = nullptr;
    for (const auto& k : keys) {
      if (it.key() == k.key) field = k.field;
    }
    if (field == nullptr) {
      return Result<ConsentModeState>(ErrorCode::invalid_consent,
                                      consent_text_for_message(it.key()) + ": unknown Consent Mode state");
    }
    const auto& value = it.value();
    if (!value.is_string() ||
        (value.get_ref<const std::string&>() != "granted" && value.get_ref<const std::string&>() != "denied")) {
      return Result<ConsentModeState>(ErrorCode::invalid_consent, it.key() + ": must be \"granted\" or \"denied\"");
    }
    parsed.*field = value.get_ref<const std::string&>() == "granted";
  }
  return parsed;
}

ConsentDecisions consent_mode_decisions(const ConsentModeState& state) {
  ConsentDecisions decisions;
  if (state.analytics_storage) decisions.set(Purpose::analytics, *state.analytics_storage);
  if (state.personalization_storage) decisions.set(Purpose::personalization, *state.personalization_storage);

  const std::optional<bool> ads[] = {state.ad_storage, state.ad_user_data, state.ad_personalization};
  bool any_denied = false, all_granted = true;
  for (const auto& a : ads) {
    if (a && !*a) any_denied = true;
    if (!a || !*a) all_granted = false;
  }
  if (any_denied) {
    decisions.set(Purpose::marketing, false);
  } else if (all_granted) {
    decisions.set(Purpose::marketing, true);
  }
  return decisions;
}

}  // namespace gradvy
