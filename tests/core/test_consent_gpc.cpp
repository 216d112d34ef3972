// Global Privacy Control: withdraws marketing (plus the app's extra purposes)
// and keeps them off against every other input until GPC goes off.
#include <gtest/gtest.h>

#include "gradvy/consent_state.hpp"

using namespace gradvy;
using nlohmann::json;

namespace {

constexpr std::int64_t kNow = 1717200000000;

// A TCF v2.2 core segment consenting to TCF purposes 1..11, built bit by bit
// (layout as in test_tcf.cpp): grants analytics, personalization, marketing.
std::string tc_string_granting_everything() {
  std::string bits;
  auto put = [&bits](std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) bits.push_back(((v >> i) & 1u) ? '1' : '0');
  };
  put(2, 6);              // Version
  put(17000000000, 36);   // Created
  put(17000000000, 36);   // LastUpdated
  put(7, 12);             // CmpId
  put(1, 12);             // CmpVersion
  put(1, 6);              // ConsentScreen
  put(4, 6), put(13, 6);  // "EN"
  put(200, 12);           // VendorListVersion
  put(4, 6);              // TcfPolicyVersion
  put(1, 1), put(0, 1);   // IsServiceSpecific, UseNonStandardTexts
  put(0, 12);             // SpecialFeatureOptIns
  put(0xFFE000, 24);      // PurposesConsent 1..11
  put(0, 24);             // PurposesLITransparency
  put(0, 1);              // PurposeOneTreatment
  put(3, 6), put(4, 6);   // "DE"
  put(0, 16), put(0, 1);  // vendor consents: none
  put(0, 16), put(0, 1);  // vendor LI: none
  put(0, 12);             // NumPubRestrictions
  while (bits.size() % 6 != 0) bits.push_back('0');
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  for (std::size_t i = 0; i < bits.size(); i += 6) {
    int v = 0;
    for (std::size_t k = i; k < i + 6; ++k) v = v * 2 + (bits[k] == '1');
    out.push_back(alphabet[v]);
  }
  return out;
}

}  // namespace

TEST(ConsentGpc, OnWithdrawsMarketingAndThePolicyExtras) {
  ConsentState state;
  ASSERT_TRUE(state
                  .set_purposes(ConsentDecisions{}
                                    .set(Purpose::analytics, true)
                                    .set(Purpose::marketing, true)
                                    .set(Purpose::external_enrichment, true),
                                "v1", kNow)
                  .ok());
  auto on = state.set_gpc(true, PurposeSet::only(Purpose::external_enrichment).with(Purpose::social_integration), "v1",
                          kNow + 10);
  ASSERT_TRUE(on.ok()) << on.message();
  EXPECT_EQ(on->withdrawn, PurposeSet::only(Purpose::marketing).with(Purpose::external_enrichment));
  EXPECT_TRUE(state.gpc());
  EXPECT_EQ(state.gpc_blocked(),
            PurposeSet::only(Purpose::marketing).with(Purpose::external_enrichment).with(Purpose::social_integration));
  EXPECT_TRUE(state.is_granted(Purpose::analytics));  // not GPC's business
  // Records carry source "gpc"; social_integration (never answered) gets its first explicit denial.
  const auto& h = state.history();
  ASSERT_EQ(h.size(), 6u);
  EXPECT_EQ(h[3], (ConsentRecord{Purpose::marketing, false, kNow + 10, "gpc", "v1"}));
  EXPECT_EQ(h[4], (ConsentRecord{Purpose::social_integration, false, kNow + 10, "gpc", "v1"}));
  EXPECT_EQ(h[5], (ConsentRecord{Purpose::external_enrichment, false, kNow + 10, "gpc", "v1"}));

  // The browser sends the signal on every load: no new records.
  auto again = state.set_gpc(true, PurposeSet::only(Purpose::external_enrichment).with(Purpose::social_integration),
                             "v1", kNow + 20);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->records_added, 0u);
}

TEST(ConsentGpc, WhileOnEveryInputIsRefusedMarketingButTheRestApplies) {
  ConsentState state;
  ASSERT_TRUE(state.set_gpc(true, PurposeSet::only(Purpose::social_integration), "v1", kNow).ok());
  const std::size_t records_after_gpc = state.history().size();

  auto app = state.set_purposes(ConsentDecisions{}
                                    .set(Purpose::marketing, true)
                                    .set(Purpose::social_integration, true)
                                    .set(Purpose::analytics, true),
                                "v1", kNow + 1);
  ASSERT_TRUE(app.ok());
  EXPECT_EQ(app->refused_by_gpc, PurposeSet::only(Purpose::marketing).with(Purpose::social_integration));
  EXPECT_EQ(app->granted, PurposeSet::only(Purpose::analytics));
  EXPECT_EQ(app->records_added, 1u);  // refused grants are not recorded
  EXPECT_EQ(state.history().size(), records_after_gpc + 1);

  auto tcf = state.apply_tc_string(tc_string_granting_everything(), "v1", kNow + 2);
  ASSERT_TRUE(tcf.ok()) << tcf.message();
  EXPECT_EQ(tcf->refused_by_gpc, PurposeSet::only(Purpose::marketing));
  EXPECT_EQ(tcf->granted, PurposeSet::only(Purpose::personalization));

  auto cm = state.apply_consent_mode(
      json{{"ad_storage", "granted"}, {"ad_user_data", "granted"}, {"ad_personalization", "granted"}}, "v1", kNow + 3);
  ASSERT_TRUE(cm.ok());
  EXPECT_EQ(cm->refused_by_gpc, PurposeSet::only(Purpose::marketing));
  EXPECT_FALSE(cm->changed());

  EXPECT_FALSE(state.is_granted(Purpose::marketing));
  EXPECT_FALSE(state.is_granted(Purpose::social_integration));
  for (const auto& r : state.history()) {
    EXPECT_FALSE(r.purpose == Purpose::marketing && r.granted) << "a marketing grant was recorded under GPC";
  }
}

TEST(ConsentGpc, OffUnblocksButGrantsNothingBack) {
  ConsentState state;
  ASSERT_TRUE(state.set_purpose(Purpose::marketing, true, "v1", kNow).ok());
  ASSERT_TRUE(state.set_gpc(true, PurposeSet(), "v1", kNow + 1).ok());
  ASSERT_FALSE(state.is_granted(Purpose::marketing));

  auto off = state.set_gpc(false, PurposeSet(), "v1", kNow + 2);
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->changed());
  EXPECT_FALSE(state.gpc());
  EXPECT_EQ(state.gpc_blocked().bits(), 0);
  EXPECT_FALSE(state.is_granted(Purpose::marketing));

  auto grant = state.set_purpose(Purpose::marketing, true, "v1", kNow + 3);
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->granted, PurposeSet::only(Purpose::marketing));
  EXPECT_EQ(grant->refused_by_gpc.bits(), 0);
}

TEST(ConsentGpc, RepeatingWithANewPolicyReplacesTheBlockedSet) {
  ConsentState state;
  ASSERT_TRUE(state.set_purpose(Purpose::external_enrichment, true, "v1", kNow).ok());
  ASSERT_TRUE(state.set_gpc(true, PurposeSet(), "v1", kNow + 1).ok());
  EXPECT_TRUE(state.is_granted(Purpose::external_enrichment));
  // The app's policy now also covers external_enrichment.
  auto stricter = state.set_gpc(true, PurposeSet::only(Purpose::external_enrichment), "v1", kNow + 2);
  ASSERT_TRUE(stricter.ok());
  EXPECT_EQ(stricter->withdrawn, PurposeSet::only(Purpose::external_enrichment));
  EXPECT_EQ(state.gpc_blocked(), PurposeSet::only(Purpose::marketing).with(Purpose::external_enrichment));
  // And back to marketing only: external_enrichment may be granted again.
  ASSERT_TRUE(state.set_gpc(true, PurposeSet(), "v1", kNow + 3).ok());
  auto regrant = state.set_purpose(Purpose::external_enrichment, true, "v1", kNow + 4);
  ASSERT_TRUE(regrant.ok());
  EXPECT_EQ(regrant->granted, PurposeSet::only(Purpose::external_enrichment));
}

TEST(ConsentGpc, RefusesEssentialInThePolicyAndBadArguments) {
  ConsentState state;
  ASSERT_TRUE(state.set_purpose(Purpose::marketing, true, "v1", kNow).ok());
  const json before = state.to_json();
  auto essential = state.set_gpc(true, PurposeSet::only(Purpose::essential), "v1", kNow);
  EXPECT_EQ(essential.code(), ErrorCode::invalid_argument);
  EXPECT_EQ(state.set_gpc(true, PurposeSet(), "", kNow).code(), ErrorCode::invalid_consent);
  EXPECT_EQ(state.set_gpc(true, PurposeSet(), "v1", -1).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(state.to_json(), before);
  EXPECT_FALSE(state.gpc());
  EXPECT_TRUE(state.is_granted(Purpose::marketing));
}
