// How a decoded TC string decides our purposes. The reasoning behind each row
// is in docs/CONSENT.md ("TCF mapping"); change both together.
#pragma once

#include <cstdint>

#include "gradvy/consent_decisions.hpp"
#include "gradvy/tcf_string.hpp"

namespace gradvy {

// TCF purposes (1..24) that must ALL have consent for each of our purposes.
// Purpose 1 (store/access information on a device) is added to every row
// unless PurposeOneTreatment says it was not disclosed in this jurisdiction.
struct TcfPurposeRequirement {
  Purpose purpose;
  std::uint32_t tcf_purposes;  // bit (n-1) = TCF purpose n
};

inline constexpr std::uint32_t tcf_bit(int n) { return 1u << (n - 1); }

inline constexpr TcfPurposeRequirement kTcfPurposeRequirements[] = {
    {Purpose::analytics, tcf_bit(8) | tcf_bit(9)},               // measure content, audience statistics
    {Purpose::personalization, tcf_bit(5) | tcf_bit(6)},         // content profile: create + use
    {Purpose::marketing, tcf_bit(2) | tcf_bit(3) | tcf_bit(4)},  // advertising: basic, profile create + use
};

// Decides analytics, personalization and marketing (granted iff every required
// TCF purpose has consent; otherwise withdrawn). Reads the Publisher TC
// segment's purpose consents when present (the publisher's own uses, which is
// what Gradvy is), else the core PurposesConsent. Legitimate-interest bits and
// special features never grant anything. social_integration and
// external_enrichment have no TCF counterpart and are left undecided.
ConsentDecisions tcf_consent_decisions(const DecodedTcString& decoded);

}  // namespace gradvy
