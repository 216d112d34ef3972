#include "gradvy/consent_decisions.hpp"

#include <string>

#include "gradvy/consent_record.hpp"

namespace gradvy {

Result<ConsentDecisions> consent_decisions_from_json(const nlohmann::json& toggles) {
  if (!toggles.is_object()) {
    return Result<ConsentDecisions>(ErrorCode::invalid_consent,
                                    "toggles: must be an object of purpose name -> true|false");
  }
  ConsentDecisions decisions;
  for (auto it = toggles.begin(); it != toggles.end(); ++it) {
    const auto purpose = parse_purpose(it.key());
    if (!purpose) {
      return Result<ConsentDecisions>(ErrorCode::invalid_consent,
                                      consent_text_for_message(it.key()) + ": unknown purpose");
    }
    if (!it.value().is_boolean()) {
      return Result<ConsentDecisions>(ErrorCode::invalid_consent, it.key() + ": must be true or false");
    }
    decisions.set(*purpose, it.value().get<bool>());
  }
  return decisions;
}

}  // namespace gradvy
