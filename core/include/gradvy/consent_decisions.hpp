// What one consent input says: which purposes it decides, and which of those
// it grants. Every input (app toggles, TCF, Consent Mode) is turned into this
// before ConsentState applies it, so the history and GPC rules live in one place.
#pragma once

#include <nlohmann/json.hpp>

#include "gradvy/purpose.hpp"
#include "gradvy/status.hpp"

namespace gradvy {

struct ConsentDecisions {
  PurposeSet decided;  // purposes this input says something about
  PurposeSet granted;  // subset of `decided`; decided but not granted = withdrawn

  ConsentDecisions& set(Purpose p, bool grant) {
    decided = decided.with(p);
    granted = grant ? granted.with(p) : granted.without(p);
    return *this;
  }
  bool operator==(const ConsentDecisions& o) const { return decided == o.decided && granted == o.granted; }
  bool operator!=(const ConsentDecisions& o) const { return !(*this == o); }
};

// The app's toggles as JSON: {"analytics": true, "marketing": false}.
// Keys are purpose names, values booleans; anything else is invalid_consent
// naming the key. An empty object decides nothing. (Whether essential may be
// withdrawn is ConsentState's rule, not the parser's.)
Result<ConsentDecisions> consent_decisions_from_json(const nlohmann::json& toggles);

}  // namespace gradvy
