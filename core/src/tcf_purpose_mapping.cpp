#include "gradvy/tcf_purpose_mapping.hpp"

namespace gradvy {

ConsentDecisions tcf_consent_decisions(const DecodedTcString& decoded) {
  const std::uint32_t consents =
      decoded.publisher_purposes ? decoded.publisher_purposes->purposes_consent : decoded.purposes_consent;
  // PurposeOneTreatment=1: Purpose 1 was not disclosed because the publisher's
  // jurisdiction handles device storage outside TCF, so its bit carries no choice.
  const std::uint32_t storage = decoded.purpose_one_treatment ? 0u : tcf_bit(1);
  ConsentDecisions decisions;
  for (const auto& requirement : kTcfPurposeRequirements) {
    const std::uint32_t needed = requirement.tcf_purposes | storage;
    decisions.set(requirement.purpose, (consents & needed) == needed);
  }
  return decisions;
}

}  // namespace gradvy
