// ConsentState: opt-in default, app toggles, history rules, essential, and the
// snapshot / restore document.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "gradvy/consent_state.hpp"

using namespace gradvy;
using nlohmann::json;

namespace {

constexpr std::int64_t kNow = 1717200000000;
const PurposeSet kEssential = PurposeSet::only(Purpose::essential);

}  // namespace

TEST(ConsentState, DefaultsToEssentialOnly) {
  ConsentState state;
  EXPECT_EQ(state.granted(), kEssential);
  for (int i = 1; i < kPurposeCount; ++i) EXPECT_FALSE(state.is_granted(static_cast<Purpose>(i)));
  EXPECT_TRUE(state.is_granted(Purpose::essential));
  EXPECT_FALSE(state.gpc());
  EXPECT_TRUE(state.history().empty());
  EXPECT_EQ(state.history_to_json(), json::array());
}

TEST(ConsentState, TogglesReportWhatTheyNewlyGrantAndWithdraw) {
  ConsentState state;
  auto grant = state.set_purposes(ConsentDecisions{}.set(Purpose::analytics, true).set(Purpose::personalization, true),
                                  "v1", kNow);
  ASSERT_TRUE(grant.ok()) << grant.message();
  EXPECT_EQ(grant->granted, PurposeSet::only(Purpose::analytics).with(Purpose::personalization));
  EXPECT_EQ(grant->withdrawn.bits(), 0);
  EXPECT_TRUE(grant->changed());
  EXPECT_EQ(state.granted(), kEssential.with(Purpose::analytics).with(Purpose::personalization));

  auto withdraw = state.set_purpose(Purpose::analytics, false, "v1", kNow + 1);
  ASSERT_TRUE(withdraw.ok());
  EXPECT_EQ(withdraw->withdrawn, PurposeSet::only(Purpose::analytics));
  EXPECT_EQ(withdraw->granted.bits(), 0);
  EXPECT_EQ(state.granted(), kEssential.with(Purpose::personalization));

  // Mixed: one newly granted, one newly withdrawn, one unchanged.
  auto mixed = state.set_purposes(ConsentDecisions{}
                                      .set(Purpose::marketing, true)
                                      .set(Purpose::personalization, false)
                                      .set(Purpose::analytics, false),
                                  "v1", kNow + 2);
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(mixed->granted, PurposeSet::only(Purpose::marketing));
  EXPECT_EQ(mixed->withdrawn, PurposeSet::only(Purpose::personalization));
  EXPECT_EQ(to_json(*mixed), (json{{"granted", {"marketing"}},
                                   {"withdrawn", {"personalization"}},
                                   {"refused_by_gpc", json::array()},
                                   {"records_added", 2}}));
}

TEST(ConsentState, HistoryRecordsEachChangeInOrder) {
  ConsentState state;
  ASSERT_TRUE(state.set_purpose(Purpose::analytics, true, "v1", 1000).ok());
  ASSERT_TRUE(state.set_purposes_json(json{{"marketing", true}, {"analytics", false}}, "v1", 2000).ok());
  ASSERT_TRUE(state.set_purpose(Purpose::social_integration, true, "v2", 3000).ok());
  const std::vector<ConsentRecord> expected = {
      {Purpose::analytics, true, 1000, "app", "v1"},
      {Purpose::analytics, false, 2000, "app", "v1"},  // enum order within one call
      {Purpose::marketing, true, 2000, "app", "v1"},
      {Purpose::social_integration, true, 3000, "app", "v2"},
  };
  EXPECT_EQ(state.history(), expected);
  EXPECT_EQ(state.history_to_json(), consent_records_to_json(expected));
  EXPECT_EQ(
      state.history_to_json()[2],
      (json{{"purpose", "marketing"}, {"granted", true}, {"at", 2000}, {"source", "app"}, {"policy_version", "v1"}}));
}

TEST(ConsentState, RepeatingTheSameAnswerUnderTheSamePolicyIsNotRecorded) {
  ConsentState state;
  ASSERT_TRUE(state.set_purpose(Purpose::analytics, true, "v1", 1000).ok());
  auto again = state.set_purpose(Purpose::analytics, true, "v1", 2000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->records_added, 0u);
  EXPECT_FALSE(again->changed());
  EXPECT_EQ(state.history().size(), 1u);
}

TEST(ConsentState, FirstExplicitDenialIsRecordedOnce) {
  // Denied by default, but "the learner said no" is worth keeping (once).
  ConsentState state;
  auto no = state.set_purpose(Purpose::marketing, false, "v1", 1000);
  ASSERT_TRUE(no.ok());
  EXPECT_EQ(no->records_added, 1u);
  EXPECT_FALSE(no->changed());
  EXPECT_EQ(state.history().back(), (ConsentRecord{Purpose::marketing, false, 1000, "app", "v1"}));
  auto no_again = state.set_purpose(Purpose::marketing, false, "v1", 2000);
  ASSERT_TRUE(no_again.ok());
  EXPECT_EQ(no_again->records_added, 0u);
  EXPECT_EQ(state.history().size(), 1u);
}

TEST(ConsentState, SameAnswerUnderANewPolicyVersionIsRecorded) {
  ConsentState state;
  ASSERT_TRUE(state.set_purpose(Purpose::analytics, true, "v1", 1000).ok());
  auto reconfirm = state.set_purpose(Purpose::analytics, true, "v2", 2000);
  ASSERT_TRUE(reconfirm.ok());
  EXPECT_EQ(reconfirm->records_added, 1u);
  EXPECT_FALSE(reconfirm->changed());
  EXPECT_EQ(state.history().back(), (ConsentRecord{Purpose::analytics, true, 2000, "app", "v2"}));
}

TEST(ConsentState, EssentialCannotBeWithdrawn) {
  ConsentState state;
  ASSERT_TRUE(state.set_purpose(Purpose::analytics, true, "v1", 1000).ok());
  const json before = state.to_json();

  auto alone = state.set_purpose(Purpose::essential, false, "v1", 2000);
  ASSERT_FALSE(alone.ok());
  EXPECT_EQ(alone.code(), ErrorCode::invalid_consent);
  EXPECT_EQ(alone.message(), "essential: cannot be withdrawn");

  // Inside a batch of otherwise valid toggles: nothing of the batch applies.
  auto batch =
      state.set_purposes_json(json{{"analytics", false}, {"essential", false}, {"marketing", true}}, "v1", 2000);
  EXPECT_EQ(batch.code(), ErrorCode::invalid_consent);
  EXPECT_EQ(state.to_json(), before);
  EXPECT_TRUE(state.is_granted(Purpose::essential));

  // Granting essential is accepted and changes nothing.
  auto grant = state.set_purpose(Purpose::essential, true, "v1", 3000);
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->records_added, 0u);
  EXPECT_EQ(state.to_json(), before);
}

TEST(ConsentState, RefusesBadInputWithoutChange) {
  ConsentState state;
  ASSERT_TRUE(state.set_purpose(Purpose::analytics, true, "v1", 1000).ok());
  const json before = state.to_json();
  struct Bad {
    std::function<Status()> call;
    ErrorCode code;
    std::string message;
  };
  const Bad cases[] = {
      {[&] { return state.set_purpose(Purpose::marketing, true, "", kNow).status(); }, ErrorCode::invalid_consent,
       "policy_version: must not be empty"},
      {[&] { return state.set_purpose(Purpose::marketing, true, "v\x01", kNow).status(); }, ErrorCode::invalid_consent,
       "policy_version: must be printable ASCII"},
      {[&] { return state.set_purpose(Purpose::marketing, true, "v1", -1).status(); }, ErrorCode::invalid_argument,
       "now_ms: must be >= 0, got -1"},
      {[&] {
         return state.set_purposes_json(json{{"analytics", false}, {"ads", true}}, "v1", kNow).status();
       },
       ErrorCode::invalid_consent, "ads: unknown purpose"},
      {[&] {
         return state.set_purposes_json(json{{"analytics", "no"}}, "v1", kNow).status();
       },
       ErrorCode::invalid_consent, "analytics: must be true or false"},
      {[&] { return state.set_purposes_json(json::array({"analytics"}), "v1", kNow).status(); },
       ErrorCode::invalid_consent, "toggles: must be an object"},
  };
  for (const auto& c : cases) {
    const Status s = c.call();
    EXPECT_EQ(s.code(), c.code) << s.message();
    EXPECT_EQ(s.message().rfind(c.message, 0), 0u) << s.message();
    EXPECT_EQ(state.to_json(), before) << c.message;
  }
}

TEST(ConsentState, HistoryIsBoundedAndCountsWhatItDrops) {
  ConsentState state;
  const std::size_t changes = ConsentState::kMaxHistory + 25;
  for (std::size_t i = 0; i < changes; ++i) {
    ASSERT_TRUE(state.set_purpose(Purpose::analytics, i % 2 == 0, "v1", static_cast<std::int64_t>(i)).ok());
  }
  EXPECT_EQ(state.history().size(), ConsentState::kMaxHistory);
  EXPECT_EQ(state.history_dropped(), 25u);
  EXPECT_EQ(state.history().front().at, 25);  // the oldest kept
  EXPECT_EQ(state.history().back().at, static_cast<std::int64_t>(changes - 1));
  // The snapshot of a trimmed history restores (grants without a kept record are plausible).
  auto restored = ConsentState::from_json(state.to_json());
  ASSERT_TRUE(restored.ok()) << restored.message();
  EXPECT_EQ(restored->history_dropped(), 25u);
}

TEST(ConsentState, SnapshotRoundTrips) {
  ConsentState state;
  ASSERT_TRUE(state
                  .set_purposes(ConsentDecisions{}
                                    .set(Purpose::analytics, true)
                                    .set(Purpose::marketing, true)
                                    .set(Purpose::external_enrichment, false),
                                "v1", 1000)
                  .ok());
  ASSERT_TRUE(state.set_gpc(true, PurposeSet::only(Purpose::social_integration), "v1", 2000).ok());
  const json snap = state.to_json();
  EXPECT_EQ(snap["version"], 1);
  EXPECT_EQ(snap["granted"], json({"essential", "analytics"}));
  EXPECT_EQ(snap["gpc"], true);
  EXPECT_EQ(snap["gpc_blocked"], json({"marketing", "social_integration"}));

  // Through text, as the host persists it.
  auto restored = ConsentState::from_json(json::parse(snap.dump()));
  ASSERT_TRUE(restored.ok()) << restored.message();
  EXPECT_EQ(restored->granted(), state.granted());
  EXPECT_EQ(restored->gpc(), true);
  EXPECT_EQ(restored->gpc_blocked(), state.gpc_blocked());
  EXPECT_EQ(restored->history(), state.history());
  EXPECT_EQ(restored->to_json(), snap);

  // The restored state keeps enforcing: GPC still refuses marketing.
  auto refused = restored->set_purpose(Purpose::marketing, true, "v1", 3000);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->refused_by_gpc, PurposeSet::only(Purpose::marketing));

  ConsentState fresh;
  ASSERT_TRUE(fresh.restore(snap).ok());
  EXPECT_EQ(fresh.to_json(), snap);
}

TEST(ConsentState, CorruptSnapshotsAreRefusedAndStateIsUnchanged) {
  ConsentState source;
  ASSERT_TRUE(
      source.set_purposes(ConsentDecisions{}.set(Purpose::analytics, true).set(Purpose::marketing, false), "v1", 1000)
          .ok());
  const json good = source.to_json();

  struct Corruption {
    std::function<void(json&)> mutate;
    std::string message;
  };
  const Corruption cases[] = {
      {[](json& j) { j = json::array(); }, "consent.snapshot: must be an object"},
      {[](json& j) { j.erase("version"); }, "consent.version: required integer"},
      {[](json& j) { j["version"] = "1"; }, "consent.version: required integer"},
      {[](json& j) { j["extra"] = 1; }, "consent.extra: unknown field"},
      {[](json& j) { j.erase("granted"); }, "consent.granted: required"},
      {[](json& j) { j["granted"] = "analytics"; }, "consent.granted: must be an array"},
      {[](json& j) { j["granted"] = json({"analytics"}); }, "consent.granted: must contain essential"},
      {[](json& j) {
         j["granted"] = json({"essential", "analytics", "analytics"});
       },
       "consent.granted[2]: duplicate purpose"},
      {[](json& j) {
         j["granted"] = json({"essential", "telemetry"});
       },
       "consent.granted[1]: unknown purpose"},
      {[](json& j) { j["gpc"] = 1; }, "consent.gpc: required true or false"},
      {[](json& j) { j["gpc_blocked"] = json({"marketing"}); },
       "consent.gpc_blocked: must be empty while gpc is false"},
      {[](json& j) {
         j["gpc"] = true;
         j["gpc_blocked"] = json({"social_integration"});
       },
       "consent.gpc_blocked: must contain marketing while gpc is true"},
      {[](json& j) {
         j["gpc"] = true;
         j["gpc_blocked"] = json({"marketing", "analytics"});
       },
       "consent.granted: analytics is granted but blocked by GPC"},
      {[](json& j) { j["history_dropped"] = -1; }, "consent.history_dropped: required integer >= 0"},
      {[](json& j) { j["history"] = json::object(); }, "consent.history: required array of records"},
      {[](json& j) { j["history"][0]["at"] = "yesterday"; }, "consent.history[0].at: must be an integer"},
      {[](json& j) { j["history"][1]["source"] = "restore"; }, "consent.history[1].source:"},
      {[](json& j) {
         j["history"][0]["purpose"] = "essential";
         j["history"][0]["granted"] = false;
       },
       "consent.history[0].granted: essential cannot be withdrawn"},
      // Grants that contradict the history.
      {[](json& j) { j["granted"] = json({"essential"}); },
       "consent.granted: analytics is not granted but its last history record says otherwise"},
      {[](json& j) {
         j["granted"] = json({"essential", "analytics", "personalization"});
       },
       "consent.granted: personalization is granted but has no history record"},
      {[&good](json& j) {
         j["history"] = json::array();
         for (std::size_t i = 0; i <= ConsentState::kMaxHistory; ++i) j["history"].push_back(good["history"][0]);
       },
       "consent.history: 1001 records; the limit is 1000"},
  };

  ConsentState target;
  ASSERT_TRUE(target.set_purpose(Purpose::personalization, true, "v9", 500).ok());
  const json target_before = target.to_json();
  for (const auto& c : cases) {
    json bad = good;
    c.mutate(bad);
    const Status s = target.restore(bad);
    ASSERT_FALSE(s.ok()) << c.message;
    EXPECT_EQ(s.code(), ErrorCode::snapshot_corrupt) << s.message();
    EXPECT_EQ(s.message().rfind(c.message, 0), 0u) << "got: " << s.message() << "\nwant: " << c.message;
    EXPECT_EQ(target.to_json(), target_before) << c.message;
  }

  json future = good;
  future["version"] = 2;
  const Status v = target.restore(future);
  EXPECT_EQ(v.code(), ErrorCode::snapshot_version);
  EXPECT_EQ(v.message(), "consent.version: 2 is not supported (expected 1)");
  EXPECT_EQ(target.to_json(), target_before);
}
