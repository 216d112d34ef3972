// Google Consent Mode v2 -> our purposes, and applying it to ConsentState.
#include <gtest/gtest.h>

#include <string>

#include "gradvy/consent_mode.hpp"
#include "gradvy/consent_state.hpp"

using namespace gradvy;
using nlohmann::json;

namespace {

ConsentDecisions decide(const json& states) {
  auto parsed = parse_consent_mode(states);
  EXPECT_TRUE(parsed.ok()) << states.dump() << ": " << parsed.message();
  return parsed.ok() ? consent_mode_decisions(*parsed) : ConsentDecisions{};
}

constexpr std::int64_t kNow = 1717200000000;

}  // namespace

TEST(ConsentMode, SingleStateTable) {
  struct Row {
    const char* key;
    const char* value;
    ConsentDecisions expected;
  };
  const Row rows[] = {
      {"analytics_storage", "granted", ConsentDecisions{}.set(Purpose::analytics, true)},
      {"analytics_storage", "denied", ConsentDecisions{}.set(Purpose::analytics, false)},
      {"personalization_storage", "granted", ConsentDecisions{}.set(Purpose::personalization, true)},
      {"personalization_storage", "denied", ConsentDecisions{}.set(Purpose::personalization, false)},
      // One ad key alone can withdraw marketing but never grant it.
      {"ad_storage", "granted", ConsentDecisions{}},
      {"ad_storage", "denied", ConsentDecisions{}.set(Purpose::marketing, false)},
      {"ad_user_data", "granted", ConsentDecisions{}},
      {"ad_user_data", "denied", ConsentDecisions{}.set(Purpose::marketing, false)},
      {"ad_personalization", "granted", ConsentDecisions{}},
      {"ad_personalization", "denied", ConsentDecisions{}.set(Purpose::marketing, false)},
      // Strictly necessary storage decides nothing, whatever it says.
      {"functionality_storage", "granted", ConsentDecisions{}},
      {"functionality_storage", "denied", ConsentDecisions{}},
      {"security_storage", "granted", ConsentDecisions{}},
      {"security_storage", "denied", ConsentDecisions{}},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(decide(json{{row.key, row.value}}), row.expected) << row.key << "=" << row.value;
  }
}

TEST(ConsentMode, MarketingNeedsAllThreeAdSignals) {
  const char* values[] = {"denied", "granted"};
  for (int mask = 0; mask < 8; ++mask) {
    const json states{{"ad_storage", values[mask & 1]},
                      {"ad_user_data", values[(mask >> 1) & 1]},
                      {"ad_personalization", values[(mask >> 2) & 1]}};
    const ConsentDecisions d = decide(states);
    EXPECT_TRUE(d.decided.contains(Purpose::marketing)) << states.dump();
    EXPECT_EQ(d.granted.contains(Purpose::marketing), mask == 7) << states.dump();
  }
  // Two granted and the third missing: undecided, not granted.
  EXPECT_EQ(decide(json{{"ad_storage", "granted"}, {"ad_user_data", "granted"}}), ConsentDecisions{});
}

TEST(ConsentMode, FullV2UpdateDecidesThreePurposes) {
  const ConsentDecisions d = decide(json{{"ad_storage", "granted"},
                                         {"ad_user_data", "granted"},
                                         {"ad_personalization", "granted"},
                                         {"analytics_storage", "denied"},
                                         {"personalization_storage", "granted"},
                                         {"functionality_storage", "granted"},
                                         {"security_storage", "granted"}});
  EXPECT_EQ(d.decided, PurposeSet::only(Purpose::analytics).with(Purpose::personalization).with(Purpose::marketing));
  EXPECT_EQ(d.granted, PurposeSet::only(Purpose::personalization).with(Purpose::marketing));
  EXPECT_EQ(decide(json::object()), ConsentDecisions{});
}

TEST(ConsentMode, RefusesUnknownKeysAndValues) {
  struct Bad {
    json states;
    std::string message;
  };
  const Bad cases[] = {
      {json{{"ads_storage", "granted"}}, "ads_storage: unknown Consent Mode state"},
      {json{{"wait_for_update", 500}}, "wait_for_update: unknown Consent Mode state"},
      {json{{"region", json::array({"ES"})}}, "region: unknown Consent Mode state"},
      {json{{"analytics_storage", "GRANTED"}}, "analytics_storage: must be \"granted\" or \"denied\""},
      {json{{"analytics_storage", true}}, "analytics_storage: must be \"granted\" or \"denied\""},
      {json{{"ad_storage", nullptr}}, "ad_storage: must be \"granted\" or \"denied\""},
      {json{{"security_storage", "maybe"}}, "security_storage: must be \"granted\" or \"denied\""},
      {json::array(), "consent_mode: must be an object"},
      {json("granted"), "consent_mode: must be an object"},
  };
  for (const auto& c : cases) {
    auto r = parse_consent_mode(c.states);
    ASSERT_FALSE(r.ok()) << c.states.dump();
    EXPECT_EQ(r.code(), ErrorCode::invalid_consent);
    EXPECT_EQ(r.message().rfind(c.message, 0), 0u) << r.message();
  }
}

TEST(ConsentMode, AppliesWithItsOwnSourceAndRefusesWholeOnError) {
  ConsentState state;
  auto r = state.apply_consent_mode(json{{"analytics_storage", "granted"},
                                         {"ad_storage", "granted"},
                                         {"ad_user_data", "granted"},
                                         {"ad_personalization", "granted"}},
                                    "cm-1", kNow);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->granted, PurposeSet::only(Purpose::analytics).with(Purpose::marketing));
  ASSERT_EQ(state.history().size(), 2u);
  EXPECT_EQ(state.history()[0], (ConsentRecord{Purpose::analytics, true, kNow, "consent_mode", "cm-1"}));
  EXPECT_EQ(state.history()[1], (ConsentRecord{Purpose::marketing, true, kNow, "consent_mode", "cm-1"}));

  // A later partial update: one ad signal denied withdraws marketing only.
  auto update = state.apply_consent_mode(json{{"ad_user_data", "denied"}}, "cm-1", kNow + 5);
  ASSERT_TRUE(update.ok());
  EXPECT_EQ(update->withdrawn, PurposeSet::only(Purpose::marketing));
  EXPECT_TRUE(state.is_granted(Purpose::analytics));

  // One bad key spoils the whole command: the valid denial next to it is not applied.
  const json before = state.to_json();
  auto bad = state.apply_consent_mode(json{{"analytics_storage", "denied"}, {"ad_storage", "nope"}}, "cm-1", kNow + 9);
  EXPECT_EQ(bad.code(), ErrorCode::invalid_consent);
  EXPECT_EQ(state.to_json(), before);
  EXPECT_TRUE(state.is_granted(Purpose::analytics));
}
