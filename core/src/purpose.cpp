#include "gradvy/purpose.hpp"

namespace gradvy {

std::string_view to_string(Purpose purpose) {
  switch (purpose) {
    case Purpose::essential: return "essential";
    case Purpose::analytics: return "analytics";
    case Purpose::personalization: return "personalization";
    case Purpose::marketing: return "marketing";
    case Purpose::social_integration: return "social_integration";
    case Purpose::external_enrichment: return "external_enrichment";
  }
  return "essential";
}

std::optional<Purpose> parse_purpose(std::string_view name) {
  for (int i = 0; i < kPurposeCount; ++i) {
    const auto p = static_cast<Purpose>(i);
    if (to_string(p) == name) return p;
  }
  return std::nullopt;
}

}  // namespace gradvy
